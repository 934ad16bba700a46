/// Each optimizer's first three steps against PyTorch 1.13 (tests/reference/optim_reference.py):
/// p₀ = [1, −2, 0.5], loss Σ ½c(p − a)² with c = [1, 3, 0.5], a = [0.2, 0.1, −0.4], float64.
module Hybrid.Core.Tests.OptimTests

open System
open Expecto
open Hybrid.Core

let private c = [| 1.0; 3.0; 0.5 |]
let private a = [| 0.2; 0.1; -0.4 |]

/// Three steps of the optimizer (gradients clipped to clipNorm when given); p after each.
let private run (optimizer: OptimizerSpec) (clipNorm: float option) =
    let p = Graph.variable "p" (Tensor.ofRows<float> [| [| 1.0; -2.0; 0.5 |] |])
    let state = OptimizerState(optimizer, [| p |])

    [
        for _ in 1..3 do
            state.ZeroGrad()
            let d = Arith.sub p (Graph.constant (Tensor.ofRows [| a |]))

            let loss =
                Arith.mul d d
                |> Arith.mul (Graph.constant (Tensor.ofRows [| c |]))
                |> Reduce.sum
                |> Arith.mulScalar 0.5

            Graph.backward loss

            clipNorm
            |> Option.iter (fun n -> OptimizerSpec.clipGradNorm n [| p |] |> ignore)

            state.Step(OptimizerSpec.learningRate optimizer)
            p.Value.Row(0).ToArray()
    ]

/// Every step's parameters agree with PyTorch's to 13 decimal places.
let private agrees (expected: float[] list) (actual: float[] list) =
    Expect.equal actual.Length expected.Length "steps"

    List.iteri2
        (fun step (e: float[]) (x: float[]) ->
            Array.iteri2 (fun i e x -> Expect.equalDigits 13 x e $"step {step + 1}, p[{i}]") e x)
        expected
        actual

let private sgd lr momentum dampening nesterov wd =
    Sgd
        {
            LearningRate = lr
            Momentum = momentum
            Dampening = dampening
            Nesterov = nesterov
            WeightDecay = wd
        }

[<Tests>]
let tests =
    testList
        "Optim"
        [
            testCase "SGD follows torch.optim.SGD" (fun () ->
                agrees
                    [
                        [| 0.92; -1.3699999999999999; 0.455 |]
                        [| 0.8480000000000001; -0.9289999999999998; 0.41225 |]
                        [| 0.7832000000000001; -0.6202999999999999; 0.3716375 |]
                    ]
                    (run (OptimizerSpec.sgd 0.1) None))

            testCase "SGD with L2 weight decay follows torch.optim.SGD" (fun () ->
                agrees
                    [
                        [| 0.915; -1.3599999999999999; 0.4525 |]
                        [| 0.838925; -0.9151999999999999; 0.4076125 |]
                        [| 0.770837875; -0.6060639999999999; 0.3651938125 |]
                    ]
                    (run (sgd 0.1 0.0 0.0 false 0.05) None))

            testCase "momentum follows torch.optim.SGD with momentum" (fun () ->
                agrees
                    [
                        [| 0.92; -1.3699999999999999; 0.455 |]
                        [| 0.776; -0.36199999999999966; 0.37175 |]
                        [| 0.5888; 0.6838000000000006; 0.2582375 |]
                    ]
                    (run (OptimizerSpec.momentum 0.1 0.9) None))

            testCase "momentum with dampening follows torch.optim.SGD" (fun () ->
                agrees
                    [
                        [| 0.92; -1.3699999999999999; 0.455 |]
                        [| 0.812; -0.5824999999999998; 0.393125 |]
                        [| 0.6842; 0.22862500000000044; 0.317609375 |]
                    ]
                    (run (sgd 0.1 0.9 0.5 false 0.0) None))

            testCase "Nesterov follows torch.optim.SGD with nesterov" (fun () ->
                agrees
                    [
                        [| 0.848; -0.8029999999999998; 0.4145 |]
                        [| 0.66008; 0.22201000000000037; 0.30067249999999995 |]
                        [| 0.4618568; 0.8311633000000004; 0.16831636249999993 |]
                    ]
                    (run (OptimizerSpec.nesterov 0.1 0.9) None))

            testCase "RMSProp follows torch.optim.RMSprop" (fun () ->
                agrees
                    [
                        [| 0.9000000124999985; -1.9000000015873015; 0.4000000222222173 |]
                        [| 0.833962282215938; -1.8308529516414687; 0.33337730362874746 |]
                        [| 0.7824439955604003; -1.7751382456083193; 0.28106421025765393 |]
                    ]
                    (run (OptimizerSpec.rmsProp 0.01) None))

            testCase "RMSProp with momentum and weight decay follows torch.optim.RMSprop" (fun () ->
                let rms =
                    RmsProp
                        {
                            LearningRate = 0.01
                            Alpha = 0.99
                            Eps = 1e-8
                            Momentum = 0.5
                            WeightDecay = 0.1
                        }

                agrees
                    [
                        [| 0.9000000111111099; -1.9000000015384615; 0.40000001999999607 |]
                        [| 0.7838443125795344; -1.7808557283121056; 0.2837503036303046 |]
                        [| 0.6770822165576433; -1.6665812441581827; 0.1767461752970456 |]
                    ]
                    (run rms None))

            testCase "Adam follows torch.optim.Adam" (fun () ->
                agrees
                    [
                        [| 0.90000000125; -1.9000000001587303; 0.4000000022222222 |]
                        [| 0.8005682854014776; -1.8001568453039416; 0.3004787119951515 |]
                        [| 0.702220069505297; -1.7005866011435495; 0.20185432171533846 |]
                    ]
                    (run (OptimizerSpec.adam 0.1) None))

            testCase "Adam with L2 weight decay follows torch.optim.Adam" (fun () ->
                agrees
                    [
                        [| 0.9000000011111111; -1.9000000001538462; 0.40000000199999997 |]
                        [| 0.8005497833856879; -1.8001571392631883; 0.30053519661986067 |]
                        [| 0.7021441055689737; -1.7005877217859255; 0.20208436273555933 |]
                    ]
                    (run (OptimizerSpec.adam 0.1 |> OptimizerSpec.withWeightDecay 0.1) None))

            testCase "AdamW follows torch.optim.AdamW" (fun () ->
                agrees
                    [
                        [| 0.89000000125; -1.8800000001587303; 0.3950000022222222 |]
                        [| 0.7817552555462433; -1.7613964895494123; 0.29156366632491076 |]
                        [| 0.675848172381985; -1.6443210672264954; 0.19011991463479225 |]
                    ]
                    (run (OptimizerSpec.adamW 0.1 0.1) None))

            testCase "gradient clipping by global norm follows clip_grad_norm_" (fun () ->
                agrees
                    [
                        [| 0.9874342555533967; -1.9010447624829987; 0.49293176874878564 |]
                        [| 0.9744638305454896; -1.8021625986215442; 0.4855776915911983 |]
                        [| 0.9610550599547717; -1.7033626512055546; 0.47791141484691174 |]
                    ]
                    (run (OptimizerSpec.sgd 0.1) (Some 1.0)))

            testCase "clipping returns the norm and leaves small gradients alone" (fun () ->
                let p = Graph.variable "p" (Tensor.ofRows<float> [| [| 3.0; 4.0 |] |])
                Graph.backward (Reduce.sum (Arith.mul p p) |> Arith.mulScalar 0.5) // gradient (3, 4), norm 5
                Expect.equalDigits 12 (OptimizerSpec.clipGradNorm 10.0 [| p |]) 5.0 "the norm, not clipped"
                Expect.equalDigits 12 p.Grad.Value[0, 0] 3.0 "the gradient left alone"
                Expect.equalDigits 12 (OptimizerSpec.clipGradNorm 1.0 [| p |]) 5.0 "the norm before clipping"
                Expect.equalDigits 6 p.Grad.Value[0, 0] 0.6 "the gradient scaled to norm 1")
        ]

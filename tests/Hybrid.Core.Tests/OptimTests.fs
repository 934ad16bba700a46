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

/// PyTorch's float32 updates with IEEE gradual underflow, buffers and all (Update's rules without flush): the
/// reference for what flushing subnormal buffer values changes.
let private ieee (optimizer: OptimizerSpec) (n: int) (p: float32[]) (g: float32[]) (m: float32[]) (v: float32[]) =
    for i in 0 .. p.Length - 1 do
        match optimizer with
        | Adam s ->
            let b1, b2 = float32 s.Beta1, float32 s.Beta2
            m[i] <- b1 * m[i] + (1.0f - b1) * g[i]
            v[i] <- b2 * v[i] + (1.0f - b2) * g[i] * g[i]
            let stepSize = float32 (s.LearningRate / (1.0 - s.Beta1 ** float n))
            let inverseCorrection2 = float32 (1.0 / sqrt (1.0 - s.Beta2 ** float n))
            p[i] <- p[i] - stepSize * (m[i] / (sqrt v[i] * inverseCorrection2 + float32 s.Eps))
        | Sgd s ->
            m[i] <-
                if n > 1 then
                    float32 s.Momentum * m[i] + float32 (1.0 - s.Dampening) * g[i]
                else
                    g[i]

            p[i] <- p[i] - float32 s.LearningRate * m[i]
        | RmsProp s ->
            let alpha = float32 s.Alpha
            v[i] <- alpha * v[i] + (1.0f - alpha) * g[i] * g[i]
            let scaled = g[i] / (sqrt v[i] + float32 s.Eps)

            if s.Momentum > 0.0 then
                m[i] <- float32 s.Momentum * m[i] + scaled
                p[i] <- p[i] - float32 s.LearningRate * m[i]
            else
                p[i] <- p[i] - float32 s.LearningRate * scaled

/// The optimizers whose buffers decay: Adam, momentum, RMSProp with momentum.
let private decaying =
    [
        OptimizerSpec.adam 0.001
        OptimizerSpec.momentum 0.01 0.9
        RmsProp
            {
                LearningRate = 0.001
                Alpha = 0.99
                Eps = 1e-8
                Momentum = 0.9
                WeightDecay = 0.0
            }
    ]

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

            testPropertyWithConfig
                { FsCheckConfig.defaultConfig with
                    maxTest = 20
                }
                "buffers hold no subnormal number, and flushing them moves no parameter (float32)"
                (fun (seed: int) ->
                    // Parameters of a weight's size; gradients of ordinary size that stop for a while, as an input
                    // pixel's do when it is blank in batch after batch: the moments decay through the subnormal range.
                    let random = Random seed
                    let count = 64

                    let draw scale =
                        Array.init count (fun _ -> float32 ((random.NextDouble() * 2.0 - 1.0) * scale))

                    let p0 = draw 1.0 |> Array.map (fun x -> if abs x < 0.01f then 0.01f else x)
                    let active = Array.init count (fun i -> i % 4 = 0)
                    let subnormal (b: float32[]) = b |> Array.exists Single.IsSubnormal

                    decaying
                    |> List.forall (fun optimizer ->
                        let p, m, v = Array.copy p0, Array.zeroCreate count, Array.zeroCreate count
                        let rp, rm, rv = Array.copy p0, Array.zeroCreate count, Array.zeroCreate count
                        let mutable held, reached = true, false

                        for n in 1..1200 do
                            // Steps 20 to 1,100 give three elements in four zero gradients.
                            let g =
                                draw 1e-3
                                |> Array.mapi (fun i x -> if active[i] || n < 20 || n > 1100 then x else 0.0f)

                            match optimizer with
                            | Adam s -> Update.adam s s.LearningRate n p (Array.copy g) m v
                            | Sgd s -> Update.sgd s s.LearningRate n p (Array.copy g) m
                            | RmsProp s -> Update.rmsProp s s.LearningRate p (Array.copy g) m v

                            ieee optimizer n rp g rm rv
                            held <- held && p = rp && not (subnormal m) && not (subnormal v)
                            // The reference's buffers must pass through the subnormal range, or this tests nothing.
                            reached <- reached || subnormal rm || subnormal rv

                        held && reached))

            testCase "clipping returns the norm and leaves small gradients alone" (fun () ->
                let p = Graph.variable "p" (Tensor.ofRows<float> [| [| 3.0; 4.0 |] |])
                Graph.backward (Reduce.sum (Arith.mul p p) |> Arith.mulScalar 0.5) // gradient (3, 4), norm 5
                Expect.equalDigits 12 (OptimizerSpec.clipGradNorm 10.0 [| p |]) 5.0 "the norm, not clipped"
                Expect.equalDigits 12 p.Grad.Value[0, 0] 3.0 "the gradient left alone"
                Expect.equalDigits 12 (OptimizerSpec.clipGradNorm 1.0 [| p |]) 5.0 "the norm before clipping"
                Expect.equalDigits 6 p.Grad.Value[0, 0] 0.6 "the gradient scaled to norm 1")
        ]

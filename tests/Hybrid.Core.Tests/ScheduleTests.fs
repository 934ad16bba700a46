/// Learning rates per epoch against PyTorch 1.13's lr_scheduler (tests/reference/optim_reference.py),
/// base rate 0.1.
module Hybrid.Core.Tests.ScheduleTests

open System
open Expecto
open Hybrid.Core

let private rates schedule epochs =
    let s = Scheduler(schedule, 0.1)
    [ for e in 0 .. epochs - 1 -> s.Rate e ]

/// Every epoch's rate agrees with PyTorch's to 14 decimal places.
let private agrees (expected: float list) (actual: float list) =
    Expect.equal actual.Length expected.Length "epochs"
    List.iteri2 (fun epoch e x -> Expect.equalDigits 14 x e $"epoch {epoch}") expected actual

[<Tests>]
let tests =
    testList
        "Schedule"
        [
            testCase "constant keeps the base rate" (fun () -> agrees (List.replicate 5 0.1) (rates Constant 5))

            testCase "step decay follows StepLR" (fun () ->
                agrees [ 0.1; 0.1; 0.05; 0.05; 0.025; 0.025; 0.0125; 0.0125 ] (rates (StepDecay(2, 0.5)) 8))

            testCase "exponential decay follows ExponentialLR" (fun () ->
                agrees
                    [
                        0.1
                        0.09000000000000001
                        0.08100000000000002
                        0.07290000000000002
                        0.06561000000000002
                        0.05904900000000002
                    ]
                    (rates (Exponential 0.9) 6))

            testCase "cosine annealing follows CosineAnnealingLR" (fun () ->
                agrees
                    [ 0.1; 0.08681980515339464; 0.05500000000000001; 0.023180194846605363; 0.01 ]
                    (rates (Cosine(4, 0.01)) 5))

            testCase "linear warm-up follows LinearLR, then the next schedule" (fun () ->
                agrees [ 0.010000000000000002; 0.04; 0.07; 0.1; 0.1; 0.1 ] (rates (Warmup(3, 0.1, Constant)) 6)

                agrees
                    [ 0.010000000000000002; 0.04; 0.07; 0.1; 0.1; 0.05 ]
                    (rates (Warmup(3, 0.1, StepDecay(2, 0.5))) 6))

            testCase "reduce on plateau follows ReduceLROnPlateau" (fun () ->
                let s = Scheduler(ReduceOnPlateau(0.5, 1, 1e-4, 0.0), 0.1)

                let seen =
                    [
                        for e, loss in List.indexed [ 1.0; 0.9; 0.95; 0.96; 0.97; 0.5; 0.6; 0.7 ] do
                            let rate = s.Rate e
                            s.Observe loss
                            rate
                    ]

                agrees [ 0.1; 0.1; 0.1; 0.1; 0.05; 0.05; 0.05; 0.05 ] seen)

            testCase "reduce on plateau restored from its state goes on as the original does" (fun () ->
                let plateau = ReduceOnPlateau(0.5, 1, 0.0, 0.001)
                let losses = [ 1.0; 0.9; 0.9; 0.95; 0.8; 0.8; 0.8; 0.8; 0.7; 0.7; 0.7; 0.7 ]
                let original = Scheduler(plateau, 0.1)

                let straight =
                    [
                        for e, loss in List.indexed losses ->
                            let rate = original.Rate e
                            original.Observe loss
                            rate
                    ]

                let first = Scheduler(plateau, 0.1)

                for loss in losses[..4] do
                    first.Observe loss

                let second = Scheduler(plateau, 0.1)
                second.Restore first.State

                let resumed =
                    [
                        for e, loss in List.indexed losses[5..] ->
                            let rate = second.Rate(e + 5)
                            second.Observe loss
                            rate
                    ]

                Expect.isLessThan straight[11] straight[0] "the rate was reduced"
                Expect.equal resumed straight[5..] "the same rates after the restore")

            testCase "a schedule state out of range is refused" (fun () ->
                let s = Scheduler(ReduceOnPlateau(0.5, 1, 0.0, 0.0), 0.1)

                for state in
                    [
                        { Rate = 0.0; Best = 1.0; Bad = 0 }
                        { Rate = nan; Best = 1.0; Bad = 0 }
                        { Rate = 0.1; Best = nan; Bad = 0 }
                        { Rate = 0.1; Best = 1.0; Bad = -1 }
                    ] do
                    Expect.throwsExactly<ArgumentException>(fun () -> s.Restore state) |> ignore)

            testCase "a schedule with an impossible setting is refused" (fun () ->
                Expect.throwsExactly<ArgumentException>(fun () -> Scheduler(StepDecay(0, 0.5), 0.1) |> ignore)
                |> ignore

                Expect.throwsExactly<ArgumentException>(fun () ->
                    Scheduler(ReduceOnPlateau(1.5, 1, 0.0, 0.0), 0.1) |> ignore)
                |> ignore)
        ]

namespace Hybrid.Core

open System

/// A learning-rate schedule, stepped once per epoch as PyTorch's lr_scheduler classes usually are.
/// Epochs count from 0; the rate at epoch 0 is the optimizer's base rate unless warm-up says otherwise.
type ScheduleSpec =
    /// The base rate throughout.
    | Constant
    /// lr·γ^⌊epoch / stepSize⌋ (torch StepLR).
    | StepDecay of stepSize: int * gamma: float
    /// lr·γ^epoch (torch ExponentialLR).
    | Exponential of gamma: float
    /// ηmin + (lr − ηmin)(1 + cos(π·epoch / tMax)) / 2 (torch CosineAnnealingLR, closed form).
    | Cosine of tMax: int * etaMin: float
    /// Linear warm-up from startFactor·lr to lr over `epochs` epochs (torch LinearLR), then the
    /// `after` schedule, whose epochs count from the end of the warm-up.
    | Warmup of epochs: int * startFactor: float * after: ScheduleSpec
    /// Multiplies the rate by factor when the monitored loss has not improved by a relative
    /// threshold for more than patience epochs, never below minLr (torch ReduceLROnPlateau, mode min).
    | ReduceOnPlateau of factor: float * patience: int * threshold: float * minLr: float

/// What a schedule has seen, as a checkpoint keeps it: ReduceOnPlateau's current rate, best loss and epochs
/// without improvement (the closed-form schedules need only the epoch, which the model counts).
type SchedulerState = { Rate: float; Best: float; Bad: int }

/// A schedule in use: the base rate, and for ReduceOnPlateau what it has seen so far.
type Scheduler(schedule: ScheduleSpec, baseRate: float) =
    let mutable plateauRate = baseRate
    let mutable best = infinity
    let mutable bad = 0

    let rec rate (s: ScheduleSpec) (epoch: int) =
        match s with
        | Constant -> baseRate
        | StepDecay(size, gamma) -> baseRate * gamma ** float (epoch / size)
        | Exponential gamma -> baseRate * gamma ** float epoch
        | Cosine(tMax, etaMin) ->
            etaMin
            + (baseRate - etaMin) * (1.0 + cos (Math.PI * float epoch / float tMax)) / 2.0
        | Warmup(epochs, start, after) ->
            if epoch < epochs then
                baseRate * (start + (1.0 - start) * float epoch / float epochs)
            else
                rate after (epoch - epochs)
        | ReduceOnPlateau _ -> plateauRate

    let rec plateau (s: ScheduleSpec) =
        match s with
        | ReduceOnPlateau(factor, patience, threshold, minLr) -> Some(factor, patience, threshold, minLr)
        | Warmup(_, _, after) -> plateau after
        | _ -> None

    do
        let rec check s =
            match s with
            | StepDecay(size, _) when size < 1 ->
                invalidArg "schedule" $"step decay needs a step size of at least 1, got {size}"
            | Cosine(tMax, _) when tMax < 1 ->
                invalidArg "schedule" $"cosine annealing needs tMax of at least 1, got {tMax}"
            | Warmup(epochs, _, _) when epochs < 1 ->
                invalidArg "schedule" $"warm-up needs at least 1 epoch, got {epochs}"
            | ReduceOnPlateau(factor, _, _, _) when factor <= 0.0 || factor >= 1.0 ->
                invalidArg "schedule" $"reduce-on-plateau needs a factor in (0, 1), got {factor}"
            | Warmup(_, _, after) -> check after
            | _ -> ()

        check schedule

    /// The schedule.
    member _.Schedule = schedule

    /// What the schedule has seen so far.
    member _.State =
        {
            Rate = plateauRate
            Best = best
            Bad = bad
        }

    /// Puts back a state taken by State: a positive, finite rate, a best loss that is not NaN, at least 0 bad epochs.
    member _.Restore(state: SchedulerState) =
        if not (state.Rate > 0.0 && Double.IsFinite state.Rate) then
            invalidArg "state" $"the schedule's rate is {state.Rate}; it must be positive and finite"

        if Double.IsNaN state.Best then
            invalidArg "state" "the schedule's best loss is NaN"

        if state.Bad < 0 then
            invalidArg "state" $"the schedule counts {state.Bad} epochs without improvement; it must be at least 0"

        plateauRate <- state.Rate
        best <- state.Best
        bad <- state.Bad

    /// The learning rate for an epoch (0-based).
    member _.Rate(epoch: int) = rate schedule epoch

    /// Tells the schedule the epoch's monitored loss (lower is better); only ReduceOnPlateau listens.
    member _.Observe(loss: float) =
        match plateau schedule with
        | Some(factor, patience, threshold, minLr) ->
            if loss < best * (1.0 - threshold) then
                best <- loss
                bad <- 0
            else
                bad <- bad + 1

            if bad > patience then
                plateauRate <- max (plateauRate * factor) minLr
                bad <- 0
        | None -> ()

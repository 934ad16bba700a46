namespace Hybrid.Core

open System
open System.Numerics

/// Stochastic gradient descent, PyTorch's torch.optim.SGD: full-batch, mini-batch and
/// stochastic descent differ only in the batch size.
type SgdSettings =
    {
        LearningRate: float
        Momentum: float
        Dampening: float
        Nesterov: bool
        /// L2 penalty: weightDecay·p is added to the gradient.
        WeightDecay: float
    }

/// PyTorch's torch.optim.RMSprop (not centered).
type RmsPropSettings =
    {
        LearningRate: float
        Alpha: float
        Eps: float
        Momentum: float
        WeightDecay: float
    }

/// PyTorch's torch.optim.Adam, or with Decoupled = true torch.optim.AdamW (the weight decay
/// shrinks the parameters directly instead of being added to the gradient).
type AdamSettings =
    {
        LearningRate: float
        Beta1: float
        Beta2: float
        Eps: float
        WeightDecay: float
        Decoupled: bool
    }

/// An optimization algorithm and its hyper-parameters.
type OptimizerSpec =
    /// Stochastic gradient descent, with optional momentum, Nesterov momentum and L2 weight decay (torch.optim.SGD).
    | Sgd of SgdSettings
    /// RMSProp: steps scaled by a running root-mean-square of the gradients (torch.optim.RMSprop).
    | RmsProp of RmsPropSettings
    /// Adam, or AdamW with decoupled weight decay (torch.optim.Adam, torch.optim.AdamW).
    | Adam of AdamSettings

/// Optimizers with PyTorch's defaults.
[<RequireQualifiedAccess>]
module OptimizerSpec =

    /// Plain SGD: p ← p − lr·g.
    let sgd lr =
        Sgd
            {
                LearningRate = lr
                Momentum = 0.0
                Dampening = 0.0
                Nesterov = false
                WeightDecay = 0.0
            }

    /// SGD with (heavy-ball) momentum: b ← μb + g, p ← p − lr·b.
    let momentum lr mu =
        Sgd
            {
                LearningRate = lr
                Momentum = mu
                Dampening = 0.0
                Nesterov = false
                WeightDecay = 0.0
            }

    /// Nesterov momentum: b ← μb + g, p ← p − lr·(g + μb).
    let nesterov lr mu =
        Sgd
            {
                LearningRate = lr
                Momentum = mu
                Dampening = 0.0
                Nesterov = true
                WeightDecay = 0.0
            }

    /// RMSProp with α = 0.99, ε = 1e-8: s ← αs + (1 − α)g², p ← p − lr·g / (√s + ε).
    let rmsProp lr =
        RmsProp
            {
                LearningRate = lr
                Alpha = 0.99
                Eps = 1e-8
                Momentum = 0.0
                WeightDecay = 0.0
            }

    /// Adam with β = (0.9, 0.999), ε = 1e-8.
    let adam lr =
        Adam
            {
                LearningRate = lr
                Beta1 = 0.9
                Beta2 = 0.999
                Eps = 1e-8
                WeightDecay = 0.0
                Decoupled = false
            }

    /// AdamW with β = (0.9, 0.999), ε = 1e-8 and the given decoupled weight decay (PyTorch: 0.01).
    let adamW lr weightDecay =
        Adam
            {
                LearningRate = lr
                Beta1 = 0.9
                Beta2 = 0.999
                Eps = 1e-8
                WeightDecay = weightDecay
                Decoupled = true
            }

    /// The base learning rate.
    let learningRate =
        function
        | Sgd s -> s.LearningRate
        | RmsProp s -> s.LearningRate
        | Adam s -> s.LearningRate

    /// The same optimizer with another weight decay (L2 for SGD, RMSProp and Adam; decoupled for AdamW).
    let withWeightDecay wd =
        function
        | Sgd s -> Sgd { s with WeightDecay = wd }
        | RmsProp s -> RmsProp { s with WeightDecay = wd }
        | Adam s -> Adam { s with WeightDecay = wd }

    /// Scales all gradients together so that their joint L2 norm is at most maxNorm, as
    /// torch.nn.utils.clip_grad_norm_ does (factor maxNorm / (norm + 1e-6) when below one).
    /// Returns the norm before clipping.
    let clipGradNorm<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (maxNorm: float)
        (parameters: Node<'T>[])
        =
        let grads = parameters |> Array.choose (fun p -> p.Grad)

        let norm =
            grads
            |> Array.sumBy (fun g -> Tensor.data g |> Array.sumBy (fun v -> let x = Tensor.toFloat v in x * x))
            |> sqrt

        let factor = maxNorm / (norm + 1e-6)

        if factor < 1.0 then
            let f = Tensor.ofFloat<'T> factor

            for g in grads do
                let d = Tensor.data g

                for i in 0 .. d.Length - 1 do
                    d[i] <- d[i] * f

        norm

// Each arithmetic step is bound to a name: F# cannot resolve a generic operator whose left
// operand is itself an operator application, such as (a * b) + c.

/// The update rules of PyTorch 1.13's optimizers, element by element over flat storage:
/// p the parameter, g its gradient, m and v the optimizer's buffers for it, n its step number
/// (1 on its first step). Mutation is confined to these loops.
///
/// One departure from PyTorch: a buffer never keeps a subnormal number. A value that decays below the smallest normal
/// number (float32: 2⁻¹²⁶ ≈ 1.2e-38) is stored as zero (see `flush`). A parameter whose gradient stays zero (an
/// input pixel that is blank in every recent batch) has its moments decay geometrically, by β₁ = 0.9 a step for Adam's
/// first moment. They would reach the subnormal range within about 750 steps and stay there for about 150 more. An
/// arithmetic operation on a subnormal number takes a microcode assist on x86: a multiply over 100,000 of them took
/// 22 times as long as over normal numbers here. On MNIST at batch 32, those assists made the third epoch 1.8 times as
/// slow. The parameters do not change: a subnormal moment moves its parameter by less than 10⁻³⁰, far below the last
/// bit of a weight.
module internal Update =

    /// x, or zero when x is subnormal (or zero): what the optimizers store in their buffers. The vectorised kernels
    /// (FastKernels' AdamRule) make the same test, |x| < the smallest normal number, and give the same bits.
    let inline flush<'T when 'T :> IFloatingPointIeee754<'T>> (x: 'T) =
        if 'T.IsSubnormal x || 'T.IsZero x then 'T.Zero else x

    /// SGD: d = g + wd·p; with momentum b ← d on the first step, else μb + (1 − dampening)d,
    /// and d ← d + μb (Nesterov) or b; then p ← p − lr·d.
    let sgd<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (s: SgdSettings)
        (lr: float)
        (n: int)
        (p: 'T[])
        (g: 'T[])
        (m: 'T[])
        =
        let t (x: float) : 'T = Tensor.ofFloat x
        let lr, wd, mu, damp = t lr, t s.WeightDecay, t s.Momentum, t (1.0 - s.Dampening)

        for i in 0 .. p.Length - 1 do
            let decay = wd * p[i]
            let mutable d = g[i] + decay

            if s.Momentum <> 0.0 then
                let kept = mu * m[i]
                let added = damp * d
                m[i] <- flush (if n > 1 then kept + added else d)
                let ahead = mu * m[i]
                d <- if s.Nesterov then d + ahead else m[i]

            let change = lr * d
            p[i] <- p[i] - change

    /// RMSProp: d = g + wd·p, v ← αv + (1 − α)d², p ← p − lr·d / (√v + ε) (through a momentum
    /// buffer m ← μm + d / (√v + ε) when μ > 0).
    let rmsProp<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (s: RmsPropSettings)
        (lr: float)
        (p: 'T[])
        (g: 'T[])
        (m: 'T[])
        (v: 'T[])
        =
        let t (x: float) : 'T = Tensor.ofFloat x
        let lr, wd, alpha, eps, mu = t lr, t s.WeightDecay, t s.Alpha, t s.Eps, t s.Momentum
        let rest = 'T.One - alpha

        for i in 0 .. p.Length - 1 do
            let decay = wd * p[i]
            let d = g[i] + decay
            let kept = alpha * v[i]
            let added = rest * d
            let square = added * d
            v[i] <- flush (kept + square)
            let root = 'T.Sqrt(v[i])
            let avg = root + eps
            let scaled = d / avg

            if s.Momentum > 0.0 then
                let previous = mu * m[i]
                m[i] <- flush (scaled + previous)
                let change = lr * m[i]
                p[i] <- p[i] - change
            else
                let change = lr * scaled
                p[i] <- p[i] - change

    /// Adam: d = g + wd·p (AdamW instead shrinks p ← p(1 − lr·wd)), m ← β₁m + (1 − β₁)d,
    /// v ← β₂v + (1 − β₂)d², p ← p − (lr / (1 − β₁ⁿ))·m / (√v / √(1 − β₂ⁿ) + ε).
    let adam<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (s: AdamSettings)
        (lr: float)
        (n: int)
        (p: 'T[])
        (g: 'T[])
        (m: 'T[])
        (v: 'T[])
        =
        let t (x: float) : 'T = Tensor.ofFloat x
        let b1, b2, eps, wd = t s.Beta1, t s.Beta2, t s.Eps, t s.WeightDecay
        let rest1, rest2 = 'T.One - b1, 'T.One - b2
        let stepSize = t (lr / (1.0 - s.Beta1 ** float n))
        // √(1 − β₂ⁿ) divides √v in PyTorch; multiplying by its reciprocal (computed once, in float64) is as exact
        // to within an ulp and far cheaper in the vectorised kernels, which must match this rule bit for bit.
        let inverseCorrection2 = t (1.0 / sqrt (1.0 - s.Beta2 ** float n))
        let shrink = t (1.0 - lr * s.WeightDecay)

        for i in 0 .. p.Length - 1 do
            let d =
                if s.Decoupled then
                    p[i] <- p[i] * shrink
                    g[i]
                else
                    let decay = wd * p[i]
                    g[i] + decay

            let kept1 = b1 * m[i]
            let added1 = rest1 * d
            m[i] <- flush (kept1 + added1)
            let kept2 = b2 * v[i]
            let added2 = rest2 * d
            let square = added2 * d
            v[i] <- flush (kept2 + square)
            let root = 'T.Sqrt(v[i])
            let corrected = root * inverseCorrection2
            let denominator = corrected + eps
            let direction = m[i] / denominator
            let change = stepSize * direction
            p[i] <- p[i] - change

/// An optimizer's running state as a checkpoint keeps it: the steps taken and, per parameter (in the model's
/// order, each in its parameter's storage order), the first buffer (SGD's and RMSProp's momentum, Adam's first
/// moment) and the second (RMSProp's and Adam's running square). A copy: restoring it changes nothing it shares.
type TrainerState<'T> =
    {
        Steps: int
        First: 'T[][]
        Second: 'T[][]
    }

/// Copying optimizer buffers in and out of a trainer, with the shape checks a restored state must pass.
module internal TrainerState =

    /// A copy of steps and buffers.
    let export steps (first: 'T[][]) (second: 'T[][]) =
        {
            Steps = steps
            First = first |> Array.map Array.copy
            Second = second |> Array.map Array.copy
        }

    /// Copies a state's buffers into the trainer's, after checking that they fit; returns the step count.
    let restore (state: TrainerState<'T>) (first: 'T[][]) (second: 'T[][]) =
        if state.Steps < 0 then
            invalidArg "state" $"the optimizer state has {state.Steps} steps; it must be at least 0"

        let fits (name: string) (from: 'T[][]) (into: 'T[][]) =
            if from.Length <> into.Length then
                invalidArg
                    "state"
                    $"the optimizer state has {from.Length} {name} buffers, but the model has {into.Length} parameters"

            for k in 0 .. into.Length - 1 do
                if from[k].Length <> into[k].Length then
                    invalidArg
                        "state"
                        $"the optimizer state's {name} buffer {k} has {from[k].Length} values, but parameter {k} has {into[k].Length}"

        fits "first" state.First first
        fits "second" state.Second second

        for k in 0 .. first.Length - 1 do
            state.First[k].CopyTo(first[k], 0)
            state.Second[k].CopyTo(second[k], 0)

        state.Steps

/// An optimizer's running state over a fixed list of parameters of any graph (torch.optim's optimizer over
/// model.parameters()): momentum buffers and moment estimates, updated in place by Step with PyTorch 1.13's rules.
/// Each step: ZeroGrad, build the loss, Graph.backward, Step.
type OptimizerState<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
    (optimizer: OptimizerSpec, parameters: Node<'T>[]) =
    let first = parameters |> Array.map (fun p -> Array.zeroCreate<'T> p.Shape.Count)
    let second = parameters |> Array.map (fun p -> Array.zeroCreate<'T> p.Shape.Count)
    // Steps each parameter has taken (a parameter without a gradient skips a step).
    let counts = Array.zeroCreate<int> parameters.Length
    let mutable steps = 0

    /// The optimizer.
    member _.Optimizer = optimizer

    /// The parameters it updates.
    member _.Parameters = parameters

    /// How many steps have been taken.
    member _.Steps = steps

    /// A copy of the steps and buffers, for a checkpoint.
    member _.Export() = TrainerState.export steps first second

    /// Puts back a state taken by Export (from this model or a copy of it); every parameter's step count becomes
    /// the state's (in a sequential model every parameter has a gradient at every step, so they are all equal).
    member _.Restore(state: TrainerState<'T>) =
        steps <- TrainerState.restore state first second
        Array.fill counts 0 counts.Length steps

    /// Clears every parameter's gradient.
    member _.ZeroGrad() =
        for p in parameters do
            p.ZeroGrad()

    /// One update of every parameter that has a gradient, at the optimizer's base learning rate.
    member s.Step() =
        s.Step(OptimizerSpec.learningRate optimizer)

    /// One update of every parameter that has a gradient, at learning rate lr (a schedule may
    /// change it from step to step).
    member _.Step(lr: float) =
        steps <- steps + 1

        for k in 0 .. parameters.Length - 1 do
            match parameters[k].Grad with
            | None -> ()
            | Some grad ->
                counts[k] <- counts[k] + 1
                let p, g = Tensor.data parameters[k].Value, Tensor.data grad

                match optimizer with
                | Sgd s -> Update.sgd s lr counts[k] p g first[k]
                | RmsProp s -> Update.rmsProp s lr p g first[k] second[k]
                | Adam s -> Update.adam s lr counts[k] p g first[k] second[k]

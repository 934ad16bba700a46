(**
---
title: Your own pictures
category: Guides
categoryindex: 3
index: 3
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
#r "../tests/Hybrid.Examples/bin/Release/net10.0/StbImageSharp.dll"
#r "../tests/Hybrid.Examples/bin/Release/net10.0/StbImageWriteSharp.dll"
(**
# Your own pictures

A model that reads 97% of MNIST's test digits guesses on a photo of a digit on paper. Nothing is wrong with the
model: MNIST's digits are light on dark, size-normalised into a 20 × 20 box keeping their aspect ratio, and placed
in 28 × 28 with their centre of mass at the centre. A photo is dark ink on light paper, unevenly lit, grainy,
anywhere in the frame and any size. This page makes a photo, shows why the naive preprocessing fails on it, and
walks through `MnistStyle`, the pipeline that turns it into what the model was trained on. It ends with a binary
image classifier trained from a folder of pictures.

## A photo of a handwritten digit

The page draws a "4" with the library's own pen (`Strokes.Draw`: round-capped, anti-aliased polylines), then
`SyntheticPhoto.Of` lays the ink on textured paper under uneven light (a gradient, darker corners, sometimes a
shadow), with camera blur and sensor noise, off-centre.
*)
open System
open System.IO
open Hybrid
open Hybrid.Charts
open Hybrid.Data
open Hybrid.Imaging
open MathNet.Numerics.LinearAlgebra

// A hand's wobble: each stroke is sampled densely and nudged by a slow sine.
let hand (points: (float * float) list) =
    let pairs = List.pairwise points

    [|
        for (x0, y0), (x1, y1) in pairs do
            for t in 0.0..0.1..0.9 do
                let x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
                yield struct (x + 2.0 * sin (y / 9.0), y + 1.5 * sin (x / 11.0))
        let x, y = List.last points
        yield struct (x, y)
    |]
    :> Collections.Generic.IReadOnlyList<_>

let ink =
    Strokes.Draw(
        120,
        150,
        [| hand [ 72, 18; 28, 96; 98, 94 ]; hand [ 80, 48; 78, 140 ] |],
        thickness = 13.0
    )

let photo = SyntheticPhoto.Of(ink, seed = 11)
printfn $"the photo: {photo}"
(*** include-output ***)
(**
## The model, and the naive path

The model is the README's main one: 784-128-10, ReLU, Adam, batch 64, 5 epochs.
*)
let mnist = Mnist.Load()

let model =
    Network
        .Sequential(784)
        .Dense(128, Activation.ReLU)
        .Dense(10)
        .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam 0.001, seed = 1)

model.Fit(mnist.Train, epochs = 5, batchSize = 64) |> ignore
printfn $"test accuracy on MNIST: %.2f{100.0 * model.Evaluate(mnist.Test).Accuracy}%%"

/// The digit the model reads in 784 features, and its probability.
let read (features: float32[]) =
    let p = model.Predict(Matrix<float32>.Build.DenseOfRowMajor(1, 784, features))
    p.Classes[0], p.Probabilities[0, p.Classes[0]]

let naive = MnistStyle.Naive photo
let naiveDigit, naiveP = read naive

printfn
    "%s"
    (
        $"naive path (grey, resize to 28×28, invert): %d{naiveDigit} "
        + $"with probability %.3f{naiveP}"
    )
(*** include-output ***)
(**
The naive path squeezes the whole frame into 28 × 28: the digit is small and off-centre, and the paper, inverted,
is a grey fog brighter where the light was weaker. The MNIST-style path:
*)
let steps = MnistStyle.Steps photo
let digit, p = read steps.Features

printfn
    "%s"
    (
        $"MNIST-style path: %d{digit} with probability %.3f{p} "
        + $"(polarity found: {steps.Polarity})"
    )
(*** include-output ***)
(*** hide ***)
Figure.Html(
    "own-pictures-before-after",
    Pictures.Row(
        [| photo; Image(28, 28, 1, naive); steps.Centred |],
        [|
            "the photo"
            $"naive: reads {naiveDigit} ({100.0 * float naiveP:F0}%%)"
            $"MNIST-style: reads {digit} ({100.0 * float p:F0}%%)"
        |],
        height = 150.0
    ),
    "A photo of a handwritten 4, what the naive path gives the model, and what the MNIST-style path gives it."
)
(*** include-it-raw ***)
(**
## The pipeline, step by step

Each step is a public function of `MnistStyle`, so you can run, replace or show any of them:

1. `Greyscale`: luma, 0.299 R + 0.587 G + 0.114 B; `Shrink` to at most 320 pixels a side.
2. `DetectPolarity`: ink is the minority of the pixels and differs strongly from its surroundings, so after
   subtracting a local mean the deviations are skewed towards the ink's side: dark on light, or light on dark.
3. `ToInk`: the ink map, 1 for ink and 0 for paper, as in MNIST (the grey inverted for dark ink).
4. `EstimateBackground`: a morphological opening (erosion then dilation) with a square a fifth of the picture
   wide removes every stroke and keeps what varies slowly: the light, the shadow, the paper's tint.
5. `RemoveBackground`: ink above the background, normalised, and softly thresholded at Otsu's level, which
   separates ink from paper grain; a page with no ink is refused with an error that says so.
6. `CropToInk`: the ink's connected pieces; specks and pieces along the frame (a shadow's edge) are dropped.
7. `FitInBox`: the longer side becomes 20 pixels, the aspect ratio kept, by area averaging (MNIST's anti-aliasing).
8. `CentreByMass`: the box placed in 28 × 28 with its centre of mass at the centre, values scaled to [0, 1].
*)
(*** hide ***)
Figure.Html(
    "own-pictures-steps",
    Pictures.Row(
        [|
            steps.Grey
            steps.Ink
            steps.Background
            steps.Clean
            steps.Cropped
            steps.Box
            steps.Centred
        |],
        [|
            "1. grey"
            "3. ink map"
            "4. background"
            "5. ink above it,\nthresholded"
            "6. cropped"
            "7. 20 × 20 box"
            "8. centred\nin 28 × 28"
        |],
        height = 110.0
    ),
    "The MNIST-style pipeline on the photo above, one picture per step."
)
(*** include-it-raw ***)
(**
On 200 such photos of MNIST *test* digits (each with its own paper, light, pen, size and place), the two paths:
*)
let labels = mnist.Test.Labels

let photos =
    Array.Parallel.init 200 (fun i ->
        SyntheticPhoto.Of(Image.FromSquare(mnist.Test.Sample i), seed = 1000 + i))

let accuracy (prepare: Image -> float32[]) =
    let x = Matrix<float32>.Build.DenseOfRowArrays(photos |> Array.Parallel.map prepare)
    let classes = model.Predict(x).Classes

    float (Seq.sum [ for i in 0..199 -> if classes[i] = labels[i] then 1 else 0 ])
    / 200.0

printfn
    "%s"
    (
        $"naive path %.1f{100.0 * accuracy MnistStyle.Naive}%%, "
        + $"MNIST-style path %.1f{100.0 * accuracy (fun i -> MnistStyle.Prepare i)}%%"
    )
(*** include-output ***)
(**
The same from the command line, for your own files (PNG, JPEG with its EXIF orientation, BMP, GIF), with the
28 × 28 image the model saw written next to each answer; or draw digits in a browser, with live probabilities:

    hybrid train mnist --save mnist.safetensors
    hybrid predict mnist.safetensors photo.jpg scan.png --show seen/
    hybrid serve mnist.safetensors --port 5000

Training with `--augment` (`Fit(…, augmentation = Augmentation.Default)`: seeded shifts, rotations, scalings and
stroke thickness, drawn afresh every epoch on the worker threads) makes a model that reads drawn and typed digits
better than one that saw only MNIST's centred ones.

## A binary image classifier from a folder

`Dataset.FromImageFolder` reads a folder with one subfolder of pictures per class, the convention of torchvision's
`ImageFolder` and Keras' `image_dataset_from_directory`: classes are the subfolders' names, sorted; a seeded split
holds some pictures out. Two classes give one target column, for one sigmoid output and binary cross-entropy.
The page writes 1,500 threes and 1,500 eights from MNIST's training set as PNG files:
*)
let folder =
    Path.Combine(Path.GetTempPath(), $"hybrid-docs-threes-eights-{Guid.NewGuid():N}")

let train = mnist.Train

let threes =
    [| 0 .. train.Count - 1 |]
    |> Array.filter (fun i -> train.Labels[i] = 3)
    |> Array.truncate 1500

let eights =
    [| 0 .. train.Count - 1 |]
    |> Array.filter (fun i -> train.Labels[i] = 8)
    |> Array.truncate 1500

for name, indices in [ "three", threes; "eight", eights ] do
    Directory.CreateDirectory(Path.Combine(folder, name)) |> ignore

    indices
    |> Array.Parallel.iter (fun i ->
        ImageFile.Save(
            Image.FromSquare(train.Sample i),
            Path.Combine(folder, name, $"{i:D5}.png")
        ))

let pictures = Dataset.FromImageFolder(folder, validationSplit = 0.2, seed = 1)
Directory.Delete(folder, true)

printfn
    "%s"
    (
        $"classes %A{List.ofSeq pictures.Classes}; %d{pictures.Train.Count} training and "
        + $"%d{pictures.Validation.Count} validation pictures, "
        + $"%d{pictures.Train.TargetCount} target column"
    )
(*** include-output ***)
(**
One logit and binary cross-entropy on it (the stable form of a sigmoid output with BCE):
*)
let binary =
    Network
        .Sequential(784)
        .Dense(128, Activation.ReLU)
        .Dense(1)
        .Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Adam 0.001, seed = 1)

let history =
    binary.Fit(
        pictures.Train,
        epochs = 10,
        batchSize = 64,
        validation = pictures.Validation
    )

let last = history.Epochs[history.Epochs.Count - 1]

printfn
    "%s"
    (
        $"validation accuracy after %d{history.Epochs.Count} epochs: "
        + $"%.2f{100.0 * last.ValidationAccuracy.Value}%%"
    )
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
        "own-pictures-curves",
        "Learning curves of the threes-against-eights classifier: loss and accuracy per epoch, training and validation."
    )
(*** include-it-raw ***)
(**
From the command line, the same on any folder of pictures (`--size` to resize, `--colour` to keep colour,
`--preprocess mnist` for pictures of digits, `--augment`):

    hybrid train folder pictures/ --epochs 10 --validation-split 0.2 --save threes-eights.safetensors
*)

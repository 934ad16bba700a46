// The matrix provider is process-wide (MathNet's LinearAlgebraControl.Provider), and some tests switch it:
// run the tests one at a time so that no test sees the provider change under it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

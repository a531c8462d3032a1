// Fleets free their ports when a backend goes down; a fleet started by a test running beside
// another could take such a port and answer there. One test at a time keeps "down" observable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

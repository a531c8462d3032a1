using RoundRobinLab.Lab.Cli;

// `lab`: one command for the whole lab. The verbs are in Cli/LabCommand.cs; each lives in the
// folder of its feature (Scenarios/, Backends/, Compare/, Calibrate/, Startup/, Bench/, Testing/).
using var interrupt = Interrupt.Register();
return await LabCommand.RunAsync(args, interrupt.Token);

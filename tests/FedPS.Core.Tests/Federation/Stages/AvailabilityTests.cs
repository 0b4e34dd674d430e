using FedPS.Core.Federation;
using FedPS.Core.Federation.Stages;
using static FedPS.Core.Tests.Federation.Stages.StageKit;

namespace FedPS.Core.Tests.Federation.Stages;

public sealed class AvailabilityTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fedps-trace-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Trace(params string[] lines)
    {
        var path = Path.Combine(folder, $"trace{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void A_trace_makes_the_clients_it_marks_unavailable_in_those_rounds()
    {
        var path = Trace("client,round,available", "1,2,0", "# a comment", "", "2,2,yes", "1,3,true");
        var clients = Clients(3);
        using var stage = new ClientAvailability(new AvailabilityOptions { Trace = path });
        stage.Initialize(Setup(clients, 3));

        Assert.Null(stage.Admit(1, 1, clients[1]));
        Assert.Equal(FailureReason.Unavailable, stage.Admit(1, 2, clients[1])!.Reason);
        Assert.Null(stage.Admit(1, 2, clients[2]));
        Assert.Null(stage.Admit(1, 3, clients[1]));
    }

    [Theory]
    [InlineData(new[] { "client,round,available", "1,2" }, ":2: expected 3 fields")]
    [InlineData(new[] { "0,1,1", "x,1,1" }, ":2: the client 'x' is not a client id")]
    [InlineData(new[] { "0,0,1" }, ":1: the round '0' is not a round number")]
    [InlineData(new[] { "0,1,maybe" }, ":1: available must be 1/0, true/false or yes/no, not 'maybe'")]
    [InlineData(new[] { "0,1,1", "", "0,1,0" }, ":3: client 0 in round 1 was already given on line 1")]
    public void Bad_rows_are_reported_with_file_and_line(string[] lines, string message)
    {
        var path = Trace(lines);

        var error = Assert.Throws<FedPSException>(() => new AvailabilityOptions { Trace = path }.Validated());

        Assert.Contains(path + message, error.Message);
    }

    [Fact]
    public void A_trace_naming_a_client_the_federation_lacks_is_refused_with_its_line()
    {
        var path = Trace("0,1,1", "7,1,0");
        using var stage = new ClientAvailability(new AvailabilityOptions { Trace = path });

        var error = Assert.Throws<FedPSException>(() => stage.Initialize(Setup(Clients(3), 3)));

        Assert.Contains($"{path}:2: client 7 is not in the federation", error.Message);
    }

    [Fact]
    public void Dropout_drops_clients_with_the_given_probability()
    {
        // 100 clients × 60 rounds = 6,000 seeded draws at p = 0.3: the dropped share has standard error √(0.21/6000).
        var clients = Clients(100);
        using var stage = new ClientAvailability(new AvailabilityOptions { DropoutProbability = 0.3 });
        stage.Initialize(Setup(clients, 100));

        var dropped = Enumerable.Range(1, 60).Sum(round => clients.Count(c => stage.Admit(4, round, c) is not null));

        Assert.InRange(dropped / 6000.0, 0.3 - (5 * Math.Sqrt(0.21 / 6000)), 0.3 + (5 * Math.Sqrt(0.21 / 6000)));
        Assert.Equal(clients.Select(c => stage.Admit(4, 9, c) is null), clients.Select(c => stage.Admit(4, 9, c) is null));
    }

    [Fact]
    public void A_client_whose_simulated_time_passes_the_deadline_misses_the_round()
    {
        // No spread: every step takes 0.1 s; 10 steps plus 2,000 bytes at 1,000 B/s take 1 + 2 = 3 s.
        var clients = Clients(1);
        using var stage = new ClientAvailability(new AvailabilityOptions { StepTime = 0.1, SpeedSpread = 0, Bandwidth = 1000, Deadline = 2.5 });
        stage.Initialize(Setup(clients, 1));
        using var round = Round(1, clients);
        using var start = Set(0);
        var assignment = new ClientAssignment(round, clients[0], start) { Steps = 10 };

        var late = stage.Schedule(assignment, bytesDown: 1000, bytesUp: 1000);
        Assert.Equal(FailureReason.Deadline, late!.Reason);
        Assert.Contains("would take 3 simulated seconds", late.Message);
        Assert.Null(stage.Schedule(assignment, bytesDown: 500, bytesUp: 500));
    }

    [Fact]
    public void Bad_knobs_are_named_with_their_value()
    {
        Assert.Contains("DropoutProbability must be in [0, 1) (got 1)",
            Assert.Throws<FedPSException>(() => new AvailabilityOptions { DropoutProbability = 1 }.Validated()).Message);
        Assert.Contains("Deadline must be positive and finite (got -1)",
            Assert.Throws<FedPSException>(() => new AvailabilityOptions { Deadline = -1 }.Validated()).Message);
        Assert.Contains("does not exist", Assert.Throws<FedPSException>(() => new AvailabilityOptions { Trace = Path.Combine(folder, "none.csv") }.Validated()).Message);
    }
}

using FedPS.Core.Experiments;

namespace FedPS.Core.Tests.Experiments;

public sealed class ExitActionsTests
{
    [Fact]
    public void The_exit_runs_every_pending_action_once()
    {
        var actions = new ExitActions();
        var counts = new int[2];
        actions.Register(() => counts[0]++);
        actions.Register(() => counts[1]++);

        actions.RunAll();
        actions.RunAll();

        Assert.Equal([1, 1], counts);
        Assert.True(actions.IsExiting);
    }

    [Fact]
    public void A_disposed_registration_does_not_run()
    {
        var actions = new ExitActions();
        var ran = false;
        actions.Register(() => ran = true).Dispose();

        actions.RunAll();

        Assert.False(ran);
    }

    [Fact]
    public void An_action_registered_after_the_exit_began_runs_at_once()
    {
        var actions = new ExitActions();
        actions.RunAll();
        var ran = 0;

        using (actions.Register(() => ran++))
        {
            Assert.Equal(1, ran);
        }

        actions.RunAll();
        Assert.Equal(1, ran);
    }

    [Fact]
    public void Registrations_racing_the_exit_each_run_exactly_once()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var actions = new ExitActions();
            var counts = new int[8];
            using var start = new Barrier(counts.Length + 1);
            var registrars = Enumerable.Range(0, counts.Length).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                actions.Register(() => Interlocked.Increment(ref counts[i]));
            })).ToArray();
            foreach (var thread in registrars)
            {
                thread.Start();
            }

            start.SignalAndWait();
            actions.RunAll();
            foreach (var thread in registrars)
            {
                thread.Join();
            }

            Assert.All(counts, count => Assert.Equal(1, count));
        }
    }
}

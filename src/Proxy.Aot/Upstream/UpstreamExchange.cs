using System.Runtime.CompilerServices;
using System.Buffers;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Forwarding;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>
/// One request on one connection, up to the response head: the request line and the prepared
/// header fields leave in one write, the body (if any) streams beside, and interim answers are
/// read over (a <c>100 Continue</c> releases the body, see <see cref="RequestBody"/>). On success
/// the connection's <see cref="UpstreamConnection.Head"/> holds the final response head and its
/// buffer the first bytes of the body.
/// </summary>
internal static partial class UpstreamExchange
{
    /// <summary>Null on success, else the failure, classified (<see cref="FailureKind.Stale"/> included).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<UpstreamFailure?> SendAsync(
        UpstreamConnection connection, string method, Backend backend, string target, ArrayBufferWriter<byte> headers,
        RequestBody? body, bool expectContinue, UpstreamTimer timer, ILogger logger)
    {
        var token = timer.Token;
        var received = false;
        try
        {
            var output = connection.Output;
            RequestHeadWriter.WriteRequestLine(output, method, backend, target);
            output.Write(headers.WrittenSpan);
            await connection.SendOutputAsync(token);
            body?.Start(connection, expectContinue, token);

            var head = connection.Head;
            while (true)
            {
                switch (ResponseHeadParser.TryParse(connection.Buffered, head, out var consumed, out var error))
                {
                    case ParseStatus.Complete:
                        connection.Consume(consumed);
                        if (head.StatusCode is >= 100 and < 200 and not 101)
                        {
                            // Interim: 100 lets the body go; 102 and 103 are informational only
                            // (not relayed: Kestrel cannot send them, and HttpClient drops them too).
                            if (head.StatusCode == 100)
                            {
                                body?.Continue();
                            }

                            continue;
                        }

                        body?.ResponseArrived();
                        return null;

                    case ParseStatus.Invalid:
                        InvalidHead(logger, backend.Prefix, error!);
                        return new UpstreamFailure(FailureKind.NoResponse, ProxyError.BackendInvalid);
                }

                if (await connection.FillAsync(token) == 0)
                {
                    return received ? new UpstreamFailure(FailureKind.NoResponse, ProxyError.BackendClosed) : Unanswered(connection, body, ProxyError.BackendClosed);
                }

                received = true;
            }
        }
        catch (Exception e)
        {
            var failure = UpstreamFailure.Classify(e, timer, body);
            if (failure.Kind == FailureKind.NoResponse && !received && e is IOException)
            {
                return Unanswered(connection, body, ProxyError.BackendFailed);
            }

            return failure;
        }
    }

    /// <summary>
    /// The connection ended before any answer. On a kept-alive connection, with the body unread,
    /// that is the race every HTTP/1.1 client meets (the backend closed it while idle just as the
    /// request went out): go again on a new connection. Otherwise it is the backend's failure.
    /// </summary>
    private static UpstreamFailure Unanswered(UpstreamConnection connection, RequestBody? body, ProxyError error) =>
        connection.Reused && body is not { Started: true }
            ? new UpstreamFailure(FailureKind.Stale, null)
            : new UpstreamFailure(FailureKind.NoResponse, error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend} sent an invalid response head: {Error}")]
    private static partial void InvalidHead(ILogger logger, string backend, string error);
}

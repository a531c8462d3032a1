using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RoundRobinLab.Backends.Mocked;

/// <summary>
/// The fleet's WebSocket endpoint (/ws): every message comes back as it was sent, text tagged
/// "ID:" with the backend's id (so a client knows which backend the session reached), binary
/// byte for byte; a close is answered with a close.
/// </summary>
public static class WebSocketEcho
{
    public const string Path = "/ws";

    public static async Task RunAsync(HttpContext context, string id)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                message.SetLength(0);
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                var reply = result.MessageType == WebSocketMessageType.Text
                    ? Encoding.UTF8.GetBytes($"{id}:{Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length)}")
                    : message.ToArray();
                await socket.SendAsync(reply, result.MessageType, endOfMessage: true, context.RequestAborted);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away mid-session.
        }
    }
}

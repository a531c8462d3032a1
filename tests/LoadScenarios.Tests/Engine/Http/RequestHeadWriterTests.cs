using System.Text;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Tests.Engine.Http;

public sealed class RequestHeadWriterTests
{
    private static string Write(string target, RequestSpec spec, bool close = false, int room = 1024)
    {
        var buffer = new byte[room];
        var length = new RequestHeadWriter(new Uri(target), close).Write(spec, buffer);
        return length < 0 ? "(does not fit)" : Encoding.ASCII.GetString(buffer, 0, length);
    }

    [Fact]
    public void Get_RequestLineAndHost()
    {
        Write("http://127.0.0.1:6201/", RequestSpec.Get("/items/7?x=1")).ShouldBe("GET /items/7?x=1 HTTP/1.1\r\nHost: 127.0.0.1:6201\r\n\r\n");
    }

    [Fact]
    public void Body_HasItsContentLength_CloseAsked()
    {
        Write("http://localhost/", new RequestSpec("PUT", "/items/1", 1024), close: true)
            .ShouldBe("PUT /items/1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n");
    }

    [Fact]
    public void Path_ResolvedAgainstTheTarget_AndEscaped_AsHttpClientWould()
    {
        Write("http://[::1]:8080/api/", RequestSpec.Get("items/a b")).ShouldBe("GET /api/items/a%20b HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    }

    [Fact]
    public void HeadThatDoesNotFit_IsMinusOne()
    {
        Write("http://127.0.0.1:6201/", RequestSpec.Get("/" + new string('a', 100)), room: 64).ShouldBe("(does not fit)");
    }
}

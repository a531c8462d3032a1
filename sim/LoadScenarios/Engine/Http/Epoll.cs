using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>The Linux calls the lean client's event loops make: epoll, an eventfd to wake one, a non-blocking connect.</summary>
internal static unsafe partial class Epoll
{
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint Error = 0x008;
    public const uint HangUp = 0x010;
    public const uint ReadHangUp = 0x2000;
    public const uint EdgeTriggered = 1u << 31;

    /// <summary>EINPROGRESS: a non-blocking connect under way.</summary>
    public const int InProgress = 115;

    private const int Interrupted = 4;
    private const int CloseOnExec = 0x80000;
    private const int NonBlocking = 0x800;
    private const int ControlAdd = 1;

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16).</summary>
    public static int EventSize { get; } = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static int DataOffset => EventSize == 12 ? 4 : 8;

    public static int Create() => Check(epoll_create1(CloseOnExec), "epoll_create1");

    public static void Add(int epoll, nint fd, uint events, ulong data)
    {
        var buffer = stackalloc byte[16];
        *(uint*)buffer = events;
        Unsafe.WriteUnaligned(buffer + DataOffset, data);
        Check(epoll_ctl(epoll, ControlAdd, (int)fd, buffer), "epoll_ctl");
    }

    /// <summary>Waits for events, at most <paramref name="timeoutMs"/>; 0 when interrupted by a signal.</summary>
    public static int Wait(int epoll, byte* events, int capacity, int timeoutMs)
    {
        var count = epoll_wait(epoll, events, capacity, timeoutMs);
        return count >= 0 ? count : Marshal.GetLastPInvokeError() == Interrupted ? 0 : Check(count, "epoll_wait");
    }

    public static uint EventsAt(byte* events, int index) => Unsafe.ReadUnaligned<uint>(events + (index * EventSize));

    public static ulong DataAt(byte* events, int index) => Unsafe.ReadUnaligned<ulong>(events + (index * EventSize) + DataOffset);

    public static int CreateEventFd() => Check(eventfd(0, NonBlocking | CloseOnExec), "eventfd");

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        _ = write(eventFd, &one, sizeof(ulong));
    }

    public static void Drain(int eventFd)
    {
        ulong count;
        _ = read(eventFd, &count, sizeof(ulong));
    }

    public static void Close(int fd) => _ = close(fd);

    /// <summary>Starts connecting a non-blocking socket: 0 when connected at once, else the errno (InProgress: wait until writable).</summary>
    public static int Connect(nint fd, SocketAddress address)
    {
        fixed (byte* bytes = address.Buffer.Span)
        {
            return connect((int)fd, bytes, address.Size) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError(), $"{call} failed");

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* @event);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, byte* address, int length);
}

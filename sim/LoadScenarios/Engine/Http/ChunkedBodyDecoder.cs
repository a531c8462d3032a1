using System.Buffers;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// Walks a chunked body (RFC 9112 §7.1) as it arrives, in pieces of any size: counts the data
/// bytes and finds the end (the last chunk and its trailers). A struct that keeps its state
/// between pieces, so a size line split across two reads needs no copy.
/// </summary>
internal struct ChunkedBodyDecoder
{
    private State _state;
    private long _remaining;
    private int _digits;

    private enum State
    {
        Size,
        Extension,
        SizeLineFeed,
        Data,
        DataCarriageReturn,
        DataLineFeed,
        TrailerLineStart,
        TrailerLine,
        FinalLineFeed,
        Done,
    }

    /// <summary>
    /// Consumes <paramref name="input"/> up to the body's end: Done (with <paramref name="consumed"/>
    /// up to there), NeedMoreData (all consumed) or InvalidData. <paramref name="payload"/> is the
    /// data bytes among those consumed.
    /// </summary>
    public OperationStatus Decode(ReadOnlySpan<byte> input, out int consumed, out long payload)
    {
        payload = 0;
        var i = 0;
        while (i < input.Length)
        {
            var b = input[i];
            switch (_state)
            {
                case State.Size:
                    var digit = HexValue(b);
                    if (digit >= 0)
                    {
                        // 15 hex digits are 2^60 bytes: more would overflow, and no body is that long.
                        if (++_digits > 15)
                        {
                            consumed = i;
                            return OperationStatus.InvalidData;
                        }

                        _remaining = (_remaining << 4) | (uint)digit;
                    }
                    else if (_digits > 0 && b is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else if (_digits > 0 && b == (byte)'\r')
                    {
                        _state = State.SizeLineFeed;
                    }
                    else
                    {
                        consumed = i;
                        return OperationStatus.InvalidData;
                    }

                    i++;
                    break;
                case State.Extension:
                    if (b == (byte)'\r')
                    {
                        _state = State.SizeLineFeed;
                    }

                    i++;
                    break;
                case State.SizeLineFeed:
                    if (b != (byte)'\n')
                    {
                        consumed = i;
                        return OperationStatus.InvalidData;
                    }

                    _state = _remaining == 0 ? State.TrailerLineStart : State.Data;
                    i++;
                    break;
                case State.Data:
                    var take = (int)Math.Min(_remaining, input.Length - i);
                    payload += take;
                    _remaining -= take;
                    i += take;
                    if (_remaining == 0)
                    {
                        _state = State.DataCarriageReturn;
                    }

                    break;
                case State.DataCarriageReturn or State.DataLineFeed:
                    if (b != (_state == State.DataCarriageReturn ? (byte)'\r' : (byte)'\n'))
                    {
                        consumed = i;
                        return OperationStatus.InvalidData;
                    }

                    _state = _state == State.DataCarriageReturn ? State.DataLineFeed : State.Size;
                    _digits = 0;
                    i++;
                    break;
                case State.TrailerLineStart:
                    _state = b == (byte)'\r' ? State.FinalLineFeed : State.TrailerLine;
                    i++;
                    break;
                case State.TrailerLine:
                    if (b == (byte)'\n')
                    {
                        _state = State.TrailerLineStart;
                    }

                    i++;
                    break;
                case State.FinalLineFeed:
                    if (b != (byte)'\n')
                    {
                        consumed = i;
                        return OperationStatus.InvalidData;
                    }

                    _state = State.Done;
                    consumed = i + 1;
                    return OperationStatus.Done;
                default:
                    consumed = i;
                    return OperationStatus.Done;
            }
        }

        consumed = i;
        return _state == State.Done ? OperationStatus.Done : OperationStatus.NeedMoreData;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}

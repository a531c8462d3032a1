using System.Globalization;
using System.Net;
using System.Text;

namespace RoundRobinLab.Scenarios.Reports;

/// <summary>
/// Just enough SVG for the report's three charts: axes with ticks, polylines, bars, markers.
/// Written by hand so the HTML page is self-contained: no script, no download, opens anywhere.
/// </summary>
internal sealed class SvgChart(string title, double xMin, double xMax, double yMin, double yMax, string xLabel, string yLabel)
{
    public const int Width = 760;
    public const int Height = 320;
    private const int Left = 64;
    private const int Right = 150;
    private const int Top = 36;
    private const int Bottom = 44;

    public static readonly string[] Palette = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563"];

    private readonly StringBuilder _body = new();
    private readonly List<(string Label, string Color)> _legend = [];

    public double X(double x) => Left + ((x - xMin) / Math.Max(1e-9, xMax - xMin) * (Width - Left - Right));

    public double Y(double y) => Height - Bottom - ((y - yMin) / Math.Max(1e-9, yMax - yMin) * (Height - Top - Bottom));

    public void Line(IEnumerable<(double X, double Y)> points, string color, string label, bool dashed = false)
    {
        var path = string.Join(" ", points.Select(p => F($"{X(p.X):0.#},{Y(p.Y):0.#}")));
        _body.Append(F($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" {(dashed ? "stroke-dasharray=\"5 4\"" : "")} points=\"{path}\"/>"));
        _legend.Add((label, color));
    }

    public void Dots(IEnumerable<(double X, double Y, string Label)> points, string color)
    {
        foreach (var (x, y, label) in points)
        {
            _body.Append(F($"<circle cx=\"{X(x):0.#}\" cy=\"{Y(y):0.#}\" r=\"3\" fill=\"{color}\"><title>{Escape(label)}</title></circle>"));
        }
    }

    public void Bar(double x, double width, double value, string color, string tooltip)
    {
        var top = Y(value);
        _body.Append(F($"<rect x=\"{X(x):0.#}\" y=\"{top:0.#}\" width=\"{X(x + width) - X(x):0.#}\" height=\"{Math.Max(0, Y(yMin) - top):0.#}\" fill=\"{color}\"><title>{Escape(tooltip)}</title></rect>"));
    }

    public void Legend(string label, string color) => _legend.Add((label, color));

    /// <summary>A figure written above the point (x, y): the value of a bar, say.</summary>
    public void ValueLabel(double x, double y, string text) =>
        _body.Append(F($"<text x=\"{X(x):0.#}\" y=\"{Y(y) - 4:0.#}\" font-size=\"10\" text-anchor=\"middle\">{Escape(text)}</text>"));

    /// <summary>A dashed reference line across the plot at <paramref name="y"/> (a baseline of 1, say).</summary>
    public void HorizontalMarker(double y, string label)
    {
        _body.Append(F($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(y):0.#}\" y2=\"{Y(y):0.#}\" stroke=\"#6b7280\" stroke-dasharray=\"4 3\"/>"));
        _body.Append(F($"<text x=\"{Width - Right + 4}\" y=\"{Y(y) + 4:0.#}\" font-size=\"11\" fill=\"#6b7280\">{Escape(label)}</text>"));
    }

    /// <summary>A dashed line at <paramref name="x"/> with its label; <paramref name="row"/> moves the label down a line, so close events stay readable.</summary>
    public void VerticalMarker(double x, string label, int row = 0)
    {
        _body.Append(F($"<line x1=\"{X(x):0.#}\" x2=\"{X(x):0.#}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#dc2626\" stroke-dasharray=\"3 3\"/>"));
        _body.Append(F($"<text x=\"{X(x) + 3:0.#}\" y=\"{Top + 12 + (row * 12)}\" font-size=\"11\" fill=\"#dc2626\">{Escape(label)}</text>"));
    }

    public string Render(IEnumerable<(double Value, string Label)> xTicks, IEnumerable<(double Value, string Label)> yTicks)
    {
        var svg = new StringBuilder();
        svg.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" font-family=\"system-ui, sans-serif\">"));
        svg.Append(F($"<text x=\"{Left}\" y=\"20\" font-size=\"15\" font-weight=\"600\">{Escape(title)}</text>"));
        foreach (var (value, label) in yTicks)
        {
            svg.Append(F($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(value):0.#}\" y2=\"{Y(value):0.#}\" stroke=\"#e5e7eb\"/>"));
            svg.Append(F($"<text x=\"{Left - 6}\" y=\"{Y(value) + 4:0.#}\" font-size=\"11\" text-anchor=\"end\">{Escape(label)}</text>"));
        }

        foreach (var (value, label) in xTicks)
        {
            svg.Append(F($"<text x=\"{X(value):0.#}\" y=\"{Height - Bottom + 16}\" font-size=\"11\" text-anchor=\"middle\">{Escape(label)}</text>"));
        }

        svg.Append(F($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Height - Bottom}\" y2=\"{Height - Bottom}\" stroke=\"#111827\"/>"));
        svg.Append(F($"<line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#111827\"/>"));
        svg.Append(F($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" font-size=\"12\" text-anchor=\"middle\">{Escape(xLabel)}</text>"));
        svg.Append(F($"<text x=\"14\" y=\"{(Top + Height - Bottom) / 2}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + Height - Bottom) / 2})\">{Escape(yLabel)}</text>"));
        svg.Append(_body);
        var y = Top + 4;
        foreach (var (label, color) in _legend.DistinctBy(l => l.Label))
        {
            svg.Append(F($"<rect x=\"{Width - Right + 12}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{color}\"/>"));
            svg.Append(F($"<text x=\"{Width - Right + 30}\" y=\"{y + 10}\" font-size=\"12\">{Escape(label)}</text>"));
            y += 18;
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>About five round tick values from 0 to <paramref name="max"/>.</summary>
    public static List<double> NiceTicks(double max)
    {
        if (max <= 0)
        {
            return [0, 1];
        }

        var rough = max / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= rough);
        // Up to the first multiple of the step at or above the max: the axis never ends below the data.
        var ticks = new List<double>();
        for (var i = 0; ; i++)
        {
            ticks.Add(i * step);
            if (i * step >= max * (1 - 1e-9))
            {
                return ticks;
            }
        }
    }

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

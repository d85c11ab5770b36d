package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/leadops/leadops/internal/goals"
)

// The scorecard's chart, drawn with gonum.org/v1/plot: the funnel by source (leads, MQLs, handed
// off, accepted, won: grouped bars) above the goals' progress (horizontal bars of progress against
// the share of the period elapsed).

// chartFormat is the file format the name asks for.
func chartFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg", ".png":
		return ext[1:], nil
	default:
		return "", fmt.Errorf("%q: the chart is an .svg or a .png file", path)
	}
}

// funnelColors are the funnel stages' colours (colour-blind safe, Okabe-Ito).
var funnelColors = []color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff}, // leads
	color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // MQLs
	color.RGBA{0x00, 0x9E, 0x73, 0xff}, // handed off
	color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // accepted
	color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // won
}

// maxChartSources bounds the funnel's groups: the largest sources by leads, the rest summed up.
const maxChartSources = 8

// drawChart writes the chart to path, as SVG or PNG by its extension.
func drawChart(sc *Scorecard, path string) error {
	format, err := chartFormat(path)
	if err != nil {
		return err
	}
	funnel, err := funnelPlot(sc)
	if err != nil {
		return err
	}
	progress, err := goalsPlot(sc)
	if err != nil {
		return err
	}
	width := vg.Length(max(16, 3*len(chartSources(sc)))) * vg.Centimeter
	height := 12*vg.Centimeter + vg.Length(max(1, len(sc.Goals)))*1.2*vg.Centimeter + 3*vg.Centimeter
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch format {
	case "svg":
		c = vgsvg.New(width, height)
	default:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(144))}
	}
	dc := draw.New(c)
	funnelHeight := 12 * vg.Centimeter
	top := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: dc.Min.X, Y: dc.Max.Y - funnelHeight}, Max: dc.Max}}
	bottom := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: dc.Min, Max: vg.Point{X: dc.Max.X, Y: dc.Max.Y - funnelHeight}}}
	funnel.Draw(top)
	progress.Draw(bottom)

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// chartSources are the funnel's groups: up to maxChartSources sources by leads, then "other".
func chartSources(sc *Scorecard) []Row {
	rows := append([]Row(nil), sc.Sources...)
	if len(rows) <= maxChartSources {
		return rows
	}
	// Keep the largest, in their name order; sum the rest.
	keep := map[string]bool{}
	sorted := append([]Row(nil), rows...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if sorted[j].Leads > sorted[i].Leads {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	for _, r := range sorted[:maxChartSources-1] {
		keep[r.Name] = true
	}
	var out []Row
	other := Row{Name: "other"}
	for _, r := range rows {
		if keep[r.Name] {
			out = append(out, r)
			continue
		}
		other.Leads += r.Leads
		other.MQLs += r.MQLs
		other.HandedOff += r.HandedOff
		other.Accepted += r.Accepted
		other.WonDeals += r.WonDeals
	}
	return append(out, other)
}

func funnelPlot(sc *Scorecard) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Funnel by source, %s", sc.Period)
	p.Y.Label.Text = "leads"
	p.Y.Min = 0
	rows := chartSources(sc)
	if len(rows) == 0 {
		rows = []Row{{Name: "(no leads in the period)"}}
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Name
	}
	stages := []struct {
		name string
		of   func(Row) int64
	}{
		{"leads", func(r Row) int64 { return r.Leads }},
		{"MQLs", func(r Row) int64 { return r.MQLs }},
		{"handed off", func(r Row) int64 { return r.HandedOff }},
		{"accepted", func(r Row) int64 { return r.Accepted }},
		{"won", func(r Row) int64 { return r.WonDeals }},
	}
	barWidth := vg.Points(12)
	for i, s := range stages {
		vals := make(plotter.Values, len(rows))
		for j, r := range rows {
			vals[j] = float64(s.of(r))
		}
		bars, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return nil, err
		}
		bars.LineStyle.Width = 0
		bars.Color = funnelColors[i]
		bars.Offset = barWidth * vg.Length(i-len(stages)/2)
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	// Room for the groups' outer bars and, above the tallest bar, for the legend.
	p.X.Min, p.X.Max = -0.6, float64(len(rows))-0.4
	p.Y.Max = max(1, p.Y.Max) * 1.4
	p.Legend.Top = true
	p.Y.Tick.Marker = plot.TickerFunc(func(_, max float64) []plot.Tick { // whole leads
		step := math.Max(1, math.Ceil(max/6))
		var ticks []plot.Tick
		for v := 0.0; v <= max; v += step {
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
		}
		return ticks
	})
	p.NominalX(names...)
	return p, nil
}

func goalsPlot(sc *Scorecard) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Goal progress (bar) and share of the period elapsed (square)"
	p.X.Label.Text = "% of target"
	p.X.Min = 0
	if len(sc.Goals) == 0 {
		p.Title.Text = "Goal progress: no TeamGoals given (-f DIR or --cluster)"
		p.HideY()
		return p, nil
	}
	names := make([]string, len(sc.Goals))
	progress := make(plotter.Values, len(sc.Goals))
	expected := make(plotter.XYs, 0, 2*len(sc.Goals))
	maxX := 100.0
	for i, g := range sc.Goals {
		names[i] = g.Name + " (" + strings.ToLower(g.State) + ")"
		if g.Progress != nil {
			progress[i] = 100 * *g.Progress
		}
		maxX = max(maxX, progress[i])
		expected = append(expected, plotter.XY{X: 100 * g.ExpectedProgress, Y: float64(i)})
	}
	bars, err := plotter.NewBarChart(progress, vg.Points(14))
	if err != nil {
		return nil, err
	}
	bars.Horizontal = true
	bars.LineStyle.Width = 0
	bars.Color = funnelColors[2]
	p.Add(bars)
	marks, err := plotter.NewScatter(expected)
	if err != nil {
		return nil, err
	}
	marks.GlyphStyle.Shape = draw.BoxGlyph{}
	marks.GlyphStyle.Color = color.Black
	marks.GlyphStyle.Radius = vg.Points(3)
	p.Add(marks)
	p.Legend.Add("progress", bars)
	p.Legend.Add("expected by now", marks)
	p.Legend.Top = true
	p.X.Max = maxX * 1.45 // room for the legend on the right
	p.Y.Min, p.Y.Max = -0.6, float64(len(sc.Goals))-0.4
	p.NominalY(names...)
	p.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {
		var ticks []plot.Tick
		step := 25.0
		switch {
		case max > 400:
			step = 100
		case max > 150:
			step = 50
		}
		for v := 0.0; v <= max; v += step {
			ticks = append(ticks, plot.Tick{Value: v, Label: goals.FormatPercent(v / 100)})
		}
		return ticks
	})
	return p, nil
}

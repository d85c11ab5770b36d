package main

import (
	"fmt"
	"image/color"
	"io"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/leadops/leadops/internal/experiment"
)

// The experiment's chart: one panel per metric (the primary first), each arm's value as a point with
// its confidence interval as an error bar, the control's value as a dashed line across.

// drawExperimentChart writes the chart to path, as SVG or PNG by its extension.
func drawExperimentChart(r *ExperimentReport, path string) error {
	format, err := chartFormat(path)
	if err != nil {
		return err
	}
	type panel struct {
		metric experiment.Metric
		arms   []experiment.ArmResult
		title  string
	}
	verdict := r.Verdict
	if r.Winner != "" {
		verdict += " (" + r.Winner + ")"
	}
	panels := []panel{{experiment.Metric(r.Metric), r.arms, fmt.Sprintf("%s: %s per arm, %s intervals — %s", r.Experiment, r.Metric, r.Confidence, verdict)}}
	for _, s := range r.Secondary {
		panels = append(panels, panel{experiment.Metric(s.Metric), s.arms, fmt.Sprintf("%s (secondary)", s.Metric)})
	}
	width := vg.Length(max(14, 4*len(r.arms))) * vg.Centimeter
	panelHeight := 9 * vg.Centimeter
	height := panelHeight * vg.Length(len(panels))
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
	for i, p := range panels {
		pl, err := armPlot(p.metric, p.arms, p.title)
		if err != nil {
			return err
		}
		top := dc.Max.Y - panelHeight*vg.Length(i)
		pl.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: dc.Min.X, Y: top - panelHeight}, Max: vg.Point{X: dc.Max.X, Y: top}}})
	}
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

// errorPoints are the arms' values with their intervals, for plotter's error bars.
type errorPoints struct {
	plotter.XYs
	plotter.YErrors
}

// armPlot is one metric's panel. Times are shown in minutes.
func armPlot(m experiment.Metric, arms []experiment.ArmResult, title string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	scale := 1.0
	switch m.Kind() {
	case experiment.Rate:
		p.Y.Label.Text = "% of " + m.Measured()
	case experiment.Ranked:
		p.Y.Label.Text = "median minutes"
		scale = 1.0 / 60
	default:
		p.Y.Label.Text = "per routed lead"
	}
	names := make([]string, len(arms))
	var pts errorPoints
	for i, a := range arms {
		names[i] = a.Name
		if !a.HasValue {
			names[i] += " (no data)"
			continue
		}
		v := a.Value * scale
		lo, hi := v, v
		if a.HasInterval {
			lo, hi = a.Low*scale, a.High*scale
		}
		pts.XYs = append(pts.XYs, plotter.XY{X: float64(i), Y: v})
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{v - lo, hi - v})
	}
	p.X.Min, p.X.Max = -0.5, float64(len(arms))-0.5
	p.NominalX(names...)
	if len(pts.XYs) == 0 {
		return p, nil
	}
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, err
	}
	bars.LineStyle.Width = vg.Points(1.5)
	bars.CapWidth = vg.Points(10)
	marks, err := plotter.NewScatter(pts.XYs)
	if err != nil {
		return nil, err
	}
	marks.GlyphStyle.Shape = draw.CircleGlyph{}
	marks.GlyphStyle.Radius = vg.Points(4)
	marks.GlyphStyle.Color = funnelColors[0]
	p.Add(bars, marks)
	if arms[0].HasValue {
		ctl := plotter.NewFunction(func(float64) float64 { return arms[0].Value * scale })
		ctl.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		ctl.Color = color.Gray{Y: 0x80}
		p.Add(ctl)
		p.Legend.Add("control", ctl)
	}
	p.Legend.Add("value and interval", marks)
	p.Legend.Top = true
	p.Y.Min = 0
	p.Y.Max *= 1.3 // room for the legend
	if m.Kind() == experiment.Rate {
		p.Y.Max = min(max(p.Y.Max, 1), 130)
	}
	return p, nil
}

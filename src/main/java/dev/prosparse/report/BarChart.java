package dev.prosparse.report;

import dev.prosparse.report.Charts.Bars;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;

/** Builds the XChart grouped-bar chart of a {@link Bars} spec. */
final class BarChart {
    private BarChart() {}

    static CategoryChart bars(Bars spec) {
        CategoryChart c = new CategoryChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT).title(spec.title())
                .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
        var s = c.getStyler();
        ChartStyle.style(s);
        ChartStyle.axes(s);
        s.setLegendVisible(true);
        ChartStyle.legend(s, spec.seriesNames(), Charts.WIDTH);
        s.setOverlapped(false);
        s.setAvailableSpaceFill(spec.seriesNames().size() > 1 ? 0.85 : 0.6);
        s.setPlotGridVerticalLinesVisible(false);
        s.setYAxisMin(0.0);
        if (spec.yMax() != null) {
            s.setYAxisMax(spec.yMax());
        }
        if (spec.categories().size() > 24) {
            s.setXAxisLabelRotation(90);
        }
        for (int i = 0; i < spec.seriesNames().size(); i++) {
            List<Double> ys = new ArrayList<>();
            for (double v : spec.values().get(i)) {
                ys.add(v);
            }
            CategorySeries cs = c.addSeries(spec.seriesNames().get(i), spec.categories(), ys);
            cs.setFillColor(ChartStyle.PALETTE[i % ChartStyle.PALETTE.length]);
        }
        return c;
    }
}

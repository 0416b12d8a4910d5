package io.hearth.benchmarks.season;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The report's PNG charts, drawn with JFreeChart in headless AWT. One colour per policy throughout.
 * Stateless; call from one thread at a time (AWT rendering).
 */
final class SeasonCharts {
    static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    private static final Color[] POLICY_COLORS = {
        new Color(0xD9, 0x5F, 0x0E), new Color(0x31, 0x82, 0xBD), new Color(0x75, 0x6B, 0xB1), new Color(0x63, 0x63, 0x63)};
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 520;

    private SeasonCharts() {}

    static void heat(Path file, List<SeasonMetrics> all, int months) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (int mo = 0; mo < months; mo++) {
            ds.addValue(all.get(0).heatWantedJ[mo] / 3.6e9, "heat wanted (Hearth run)", MONTHS[mo]);
            double blindWanted = 0;
            for (int p = 1; p < all.size(); p++) {
                blindWanted += all.get(p).heatWantedJ[mo] / 3.6e9;
            }
            ds.addValue(blindWanted / Math.max(1, all.size() - 1), "heat wanted (heat-blind runs, mean)", MONTHS[mo]);
        }
        for (SeasonMetrics m : all) {
            for (int mo = 0; mo < months; mo++) {
                ds.addValue(m.usefulHeatJ[mo] / 3.6e9, "delivered: " + m.policy.label, MONTHS[mo]);
            }
        }
        JFreeChart chart = ChartFactory.createLineChart(
                "Heat wanted vs heat delivered by compute, per month (heaters)", "month", "MWh", ds,
                PlotOrientation.VERTICAL, true, false, false);
        LineAndShapeRenderer r = lineStyle(chart);
        r.setSeriesPaint(0, Color.BLACK);
        r.setSeriesStroke(0, new BasicStroke(3f));
        r.setSeriesPaint(1, Color.GRAY);
        r.setSeriesStroke(1, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        for (int p = 0; p < all.size(); p++) {
            r.setSeriesPaint(p + 2, POLICY_COLORS[all.get(p).policy.ordinal()]);
            r.setSeriesStroke(p + 2, new BasicStroke(2f));
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    static void datacenterShare(Path file, List<SeasonMetrics> all, int months) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (SeasonMetrics m : all) {
            for (int mo = 0; mo < months; mo++) {
                double v = m.datacenterShare(mo);
                ds.addValue(Double.isNaN(v) ? null : 100 * v, m.policy.label, MONTHS[mo]);
            }
        }
        JFreeChart chart = ChartFactory.createLineChart(
                "Data-center share of paid core-hours, per month", "month", "% of paid core-hours", ds,
                PlotOrientation.VERTICAL, true, false, false);
        LineAndShapeRenderer r = lineStyle(chart);
        policyColors(r, all);
        ((CategoryPlot) chart.getPlot()).getRangeAxis().setRange(0, 100);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    static void donated(Path file, List<SeasonMetrics> all, int months) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (SeasonMetrics m : all) {
            for (int mo = 0; mo < months; mo++) {
                ds.addValue(m.donatedCoreS[mo] / 3600 / 1e6, m.policy.label, MONTHS[mo]);
            }
        }
        JFreeChart chart = ChartFactory.createBarChart("Donated core-hours, per month", "month",
                "million core-hours", ds, PlotOrientation.VERTICAL, true, false, false);
        barStyle(chart, all);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    static void comfort(Path file, List<SeasonMetrics> all, int months) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (SeasonMetrics m : all) {
            for (int mo = 0; mo < months; mo++) {
                ds.addValue(m.degreeHoursBelow[mo] / Math.max(1, m.rooms), m.policy.label, MONTHS[mo]);
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(
                "Uncovered comfort: degree-hours below setpoint - 1 K, per room and month", "month", "K h per room", ds,
                PlotOrientation.VERTICAL, true, false, false);
        barStyle(chart, all);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    static void usefulFraction(Path file, List<SeasonMetrics> all, int months) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        for (SeasonMetrics m : all) {
            for (int mo = 0; mo < months; mo++) {
                double v = m.usefulFraction(mo);
                ds.addValue(Double.isNaN(v) ? null : 100 * v, m.policy.label, MONTHS[mo]);
            }
        }
        JFreeChart chart = ChartFactory.createLineChart(
                "Useful heat fraction (heat wanted and delivered / compute energy on heaters), per month", "month", "%",
                ds, PlotOrientation.VERTICAL, true, false, false);
        LineAndShapeRenderer r = lineStyle(chart);
        policyColors(r, all);
        ((CategoryPlot) chart.getPlot()).getRangeAxis().setRange(0, 100);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
    }

    private static LineAndShapeRenderer lineStyle(JFreeChart chart) {
        CategoryPlot plot = (CategoryPlot) chart.getPlot();
        common(chart, plot);
        LineAndShapeRenderer r = (LineAndShapeRenderer) plot.getRenderer();
        r.setDefaultShapesVisible(true);
        return r;
    }

    private static void barStyle(JFreeChart chart, List<SeasonMetrics> all) {
        CategoryPlot plot = (CategoryPlot) chart.getPlot();
        common(chart, plot);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.02);
        for (int p = 0; p < all.size(); p++) {
            r.setSeriesPaint(p, POLICY_COLORS[all.get(p).policy.ordinal()]);
        }
    }

    private static void policyColors(LineAndShapeRenderer r, List<SeasonMetrics> all) {
        for (int p = 0; p < all.size(); p++) {
            Paint c = POLICY_COLORS[all.get(p).policy.ordinal()];
            r.setSeriesPaint(p, c);
            r.setSeriesStroke(p, new BasicStroke(p == 0 ? 3f : 2f));
        }
    }

    private static void common(JFreeChart chart, CategoryPlot plot) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xCC, 0xCC, 0xCC));
        plot.setDomainGridlinesVisible(false);
        plot.setOutlineVisible(false);
    }
}

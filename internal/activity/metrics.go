package activity

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	flushes    *prometheus.CounterVec
	records    prometheus.Counter
	lastFlush  prometheus.Gauge
	logDropped prometheus.Counter
	logErrors  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, r *Recorder) *metrics {
	m := &metrics{
		flushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eksaccess_activity_flushes_total",
			Help: "Writes of last-used times to the database, by result (ok, error): alert on a rising error count.",
		}, []string{"result"}),
		records: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eksaccess_activity_records_written_total",
			Help: "Last-used records written to the database.",
		}),
		lastFlush: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "eksaccess_activity_last_flush_timestamp_seconds",
			Help: "When last-used times were last written successfully (Unix time): alert when it lags.",
		}),
		logDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eksaccess_decision_log_dropped_total",
			Help: "Decisions not appended to the --decision-log file because its writer fell behind.",
		}),
		logErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eksaccess_decision_log_write_errors_total",
			Help: "Failed writes to the --decision-log file.",
		}),
	}
	if reg != nil {
		pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eksaccess_activity_pending_entries",
			Help: "Access entries whose last authentication is not written to the database yet.",
		}, func() float64 { return float64(r.pending()) })
		reg.MustRegister(m.flushes, m.records, m.lastFlush, m.logDropped, m.logErrors, pending)
	}
	return m
}

func (m *metrics) flushed(n int, err error) {
	if err != nil {
		m.flushes.WithLabelValues("error").Inc()
		return
	}
	m.flushes.WithLabelValues("ok").Inc()
	m.records.Add(float64(n))
	m.lastFlush.SetToCurrentTime()
}

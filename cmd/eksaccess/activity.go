package main

import (
	"flag"
	"time"

	"github.com/eksaccess/eksaccess/internal/server"
)

// activityOpts are the serve flags of activity recording and the console.
type activityOpts struct {
	record        *bool
	flush         *time.Duration
	decisionLog   *string
	consoleListen *string
}

func activityFlags(fs *flag.FlagSet) *activityOpts {
	record := envOr("EKSACCESS_RECORD_ACTIVITY", "true") != "false"
	flush, err := time.ParseDuration(envOr("EKSACCESS_ACTIVITY_FLUSH", "10s"))
	if err != nil {
		flush = 10 * time.Second
	}
	return &activityOpts{
		record:        fs.Bool("record-activity", record, "record last-used times and recent decisions (env EKSACCESS_RECORD_ACTIVITY)"),
		flush:         fs.Duration("activity-flush", flush, "how often last-used times are written to the database (env EKSACCESS_ACTIVITY_FLUSH)"),
		decisionLog:   fs.String("decision-log", envOr("EKSACCESS_DECISION_LOG", ""), "append every webhook decision to this file as a JSON line (env EKSACCESS_DECISION_LOG)"),
		consoleListen: fs.String("console-listen", envOr("EKSACCESS_CONSOLE_LISTEN", ""), "serve the web console on this address, e.g. 127.0.0.1:8601; off loopback it needs --tls-cert-file and --client-ca-file (env EKSACCESS_CONSOLE_LISTEN)"),
	}
}

func (o *activityOpts) config() server.ActivityConfig {
	return server.ActivityConfig{Off: !*o.record, FlushInterval: *o.flush, DecisionLog: *o.decisionLog, ConsoleListen: *o.consoleListen}
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// recordingScenario measures the webhooks on the 10-entry cluster with activity recording off
// (--record-activity=false) and on (the default), alternating off, on, off, on so that the
// machine's drift falls on both, and notes each operation's mean throughput on as a ratio to
// off.
func recordingScenario(ctx context.Context, c config, dsn, identities string, client *http.Client, rep *report, say func(string, ...any)) error {
	sums := map[string]map[string]float64{} // operation → mode → summed throughput
	var order []string
	for _, mode := range []string{"off", "on", "off", "on"} {
		cc := c
		cc.serveArgs = append(append([]string{}, c.serveArgs...), "--record-activity="+map[string]string{"off": "false", "on": "true"}[mode])
		srv, base, _, _, err := startServer(ctx, cc, "recording-"+mode, dsn, identities)
		if err != nil {
			return err
		}
		host := strings.TrimPrefix(base, "http://")
		tok := mintToken(host, "bench-10", time.Now(), 900)
		ops := []op{
			{name: "TokenReview (cached token)", make: func(int) *http.Request { return tokenReview(base, "bench-10", tok).request() }, check: wantBody(`"authenticated":true`)},
			sarOp(base, func(i int) (string, int) { return "bench-10", i%10 - 1 }),
		}
		for _, o := range ops {
			res := run(ctx, client, o, c.concurrency, c.duration, 0)
			name := res.Name
			res.Name += " recording=" + mode
			rep.rows = append(rep.rows, row{scenario: "recording", ceil: len(rep.ceilings) - 1, result: res})
			say("recording %s: %.0f/s p50 %s p99 %s errors %d %s", res.Name, res.Throughput, ms(res.P50), ms(res.P99), res.Errors, res.FirstError)
			if sums[name] == nil {
				sums[name] = map[string]float64{}
				order = append(order, name)
			}
			sums[name][mode] += res.Throughput
		}
		srv.stop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	for _, name := range order {
		rep.notes = append(rep.notes, fmt.Sprintf("recording: %s with activity recording on: %.3f of recording off (mean of two runs each)", name, sums[name]["on"]/sums[name]["off"]))
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// recordingScenario measures the webhooks on the 10-entry cluster with activity recording off
// (--record-activity=false) and on (the default), alternating off, on three times so that the
// machine's drift falls on both, and notes each operation's throughput on as a ratio to off:
// of the summed runs, and the median of the three pairs.
func recordingScenario(ctx context.Context, c config, dsn, identities string, client *http.Client, rep *report, say func(string, ...any)) error {
	runs := map[string]map[string][]float64{} // operation → mode → throughputs
	var order []string
	for _, mode := range []string{"off", "on", "off", "on", "off", "on"} {
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
			if runs[name] == nil {
				runs[name] = map[string][]float64{}
				order = append(order, name)
			}
			runs[name][mode] = append(runs[name][mode], res.Throughput)
		}
		srv.stop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	for _, name := range order {
		off, on := runs[name]["off"], runs[name]["on"]
		var sumOff, sumOn float64
		pairs := make([]float64, len(on))
		for i := range on {
			sumOff, sumOn = sumOff+off[i], sumOn+on[i]
			pairs[i] = on[i] / off[i]
		}
		sort.Float64s(pairs)
		rep.notes = append(rep.notes, fmt.Sprintf("recording: %s with activity recording on: %.3f of recording off (sums of %d runs each); median of the pairs %.3f",
			name, sumOn/sumOff, len(on), pairs[len(pairs)/2]))
	}
	return nil
}

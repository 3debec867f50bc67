package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrk drives Debian's wrk (a C load generator far lighter than this harness's Go client) with
// the same pre-signed requests the Go client sends: the server verifies every signature as
// always, the generator only replays bytes. Its figures are shown beside the Go client's, each
// as a ratio to the ceiling measured by the same client, so the cost of the generator itself
// (which shares the machine's CPUs with the server) is visible.
type wrk struct {
	path string // the wrk binary; "" when not used
	dir  string // where the Lua scripts are written
	n    int    // scripts written (file names)
}

// wrkPool is the largest number of distinct pre-signed requests handed to wrk per measurement.
const wrkPool = 512

// run replays reqs (round robin, each thread starting at its own offset) against their
// server with conc connections for d.
func (w *wrk) run(ctx context.Context, name string, reqs []*signed, conc int, d time.Duration) (result, error) {
	if len(reqs) > wrkPool {
		reqs = reqs[:wrkPool]
	}
	u, err := url.Parse(reqs[0].url)
	if err != nil {
		return result{}, err
	}
	var b bytes.Buffer
	b.WriteString("local reqs = {\n")
	for _, r := range reqs {
		ru, err := url.Parse(r.url)
		if err != nil {
			return result{}, err
		}
		if ru.Host != u.Host {
			return result{}, fmt.Errorf("wrk: requests for two servers (%s, %s)", u.Host, ru.Host)
		}
		fmt.Fprintf(&b, "{%s, %s, {", luaString(r.method), luaString(ru.RequestURI()))
		for k, vs := range r.header {
			fmt.Fprintf(&b, "[%s] = %s, ", luaString(k), luaString(strings.Join(vs, ",")))
		}
		body := "nil"
		if r.body != nil {
			body = luaString(string(r.body))
		}
		fmt.Fprintf(&b, "}, %s},\n", body)
	}
	b.WriteString(wrkScript)
	w.n++
	script := filepath.Join(w.dir, fmt.Sprintf("wrk-%03d-%s.lua", w.n, fileName(name)))
	if err := os.WriteFile(script, b.Bytes(), 0o600); err != nil {
		return result{}, err
	}
	threads := min(2, conc)
	// wrk's -d has whole seconds. Any other d (a smoke test's 300ms) runs with -d rounded up and
	// is ended by SIGINT after d: wrk then stops its threads and reports the time it really ran.
	secs := max(1, int((d+time.Second-1)/time.Second))
	cmd := exec.CommandContext(ctx, w.path, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conc), "-d", strconv.Itoa(secs)+"s",
		"--timeout", "30s", "-s", script, u.Scheme+"://"+u.Host+"/")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return result{}, fmt.Errorf("wrk: %v", err)
	}
	if d%time.Second != 0 {
		stop := time.AfterFunc(d, func() { cmd.Process.Signal(os.Interrupt) })
		defer stop.Stop()
	}
	if err := cmd.Wait(); err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s%s", err, stderr.Bytes(), stdout.Bytes())
	}
	return parseWrk(name, conc, stdout.Bytes())
}

// wrkScript follows the request table: the requests are formatted once per thread, replayed
// in turn, and the summary is printed as one line parseWrk reads. Any status but 2xx/3xx and
// every socket error count as errors.
const wrkScript = `}
local formatted, i = {}, 0
init = function(args)
  for k, r in ipairs(reqs) do formatted[k] = wrk.format(r[1], r[2], r[3], r[4]) end
  i = math.random(#formatted) - 1
end
request = function()
  i = i % #formatted + 1
  return formatted[i]
end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format("WRKRESULT %d %d %d %d %d %d\n", s.requests, s.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
  io.write(string.format("WRKP999 %d\n", latency:percentile(99.9)))
end
`

func parseWrk(name string, conc int, out []byte) (result, error) {
	var reqs, durUS, sockErrs, statusErrs, p50, p99, p999 int64
	var ok, ok999 bool
	for _, l := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(l, "WRKRESULT %d %d %d %d %d %d", &reqs, &durUS, &sockErrs, &statusErrs, &p50, &p99); err == nil {
			ok = true
		}
		if _, err := fmt.Sscanf(l, "WRKP999 %d", &p999); err == nil {
			ok999 = true
		}
	}
	if !ok || !ok999 || durUS <= 0 {
		return result{}, fmt.Errorf("wrk: no summary in its output:\n%s", out)
	}
	errs := sockErrs + statusErrs
	r := result{Name: name, Concurrency: conc, Ops: int(reqs - errs), Errors: int(errs), Elapsed: time.Duration(durUS) * time.Microsecond,
		P50: time.Duration(p50) * time.Microsecond, P99: time.Duration(p99) * time.Microsecond, P999: time.Duration(p999) * time.Microsecond}
	if errs > 0 {
		r.FirstError = fmt.Sprintf("%d non-2xx answers, %d socket errors", statusErrs, sockErrs)
	}
	r.Throughput = float64(r.Ops) / r.Elapsed.Seconds()
	return r, nil
}

// luaString quotes s as a Lua string literal: printable ASCII as is, every other byte as a
// decimal escape (valid in every Lua and LuaJIT).
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\%03d", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

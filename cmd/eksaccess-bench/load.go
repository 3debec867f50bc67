package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// op makes the i-th request of a measurement; it returns nil when it has no more to make
// (a pool of pre-minted tokens or pre-signed creates ran out). check judges a response.
type op struct {
	name  string
	make  func(i int) *http.Request
	check func(status int, body []byte) error
	// next, when set, follows a response (paged listings): it returns the next request of the
	// same worker, or nil to start over with make.
	next func(body []byte) *http.Request
	// wrk, when set, are pre-signed requests wrk replays for the same measurement (saturating
	// runs only): the first of make's pool, or a listing's first page.
	wrk []*signed
}

// result is one measurement.
type result struct {
	Name        string
	Concurrency int
	Rate        float64 // offered rate for paced runs; 0 for closed-loop saturation
	Ops         int
	Errors      int
	FirstError  string
	Elapsed     time.Duration
	Throughput  float64 // successful ops per second
	P50         time.Duration
	P99         time.Duration
	P999        time.Duration
	Ratio       float64 // Throughput / ceiling throughput
	// CPUPerOp is the CPU time (user and system) the server process used during the
	// measurement divided by its successful operations: unlike throughput, it hardly depends
	// on what else the machine runs. 0 when unknown.
	CPUPerOp time.Duration
}

// procCPU is the CPU time process pid has used so far (Linux /proc); false when unknown.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name (which is in parentheses and may hold spaces): state is
	// the first, utime and stime the 12th and 13th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+st) * time.Second / clockTicks, true
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Go
// supports.
const clockTicks = 100

// withCPU runs measure and sets its result's CPUPerOp from process pid's CPU time.
func withCPU(pid int, measure func() result) result {
	c0, ok0 := procCPU(pid)
	r := measure()
	if c1, ok1 := procCPU(pid); ok0 && ok1 && c1 > c0 && r.Ops > 0 {
		r.CPUPerOp = (c1 - c0) / time.Duration(r.Ops)
	}
	return r
}

func newClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, IdleConnTimeout: time.Minute,
		DialContext:        (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		DisableCompression: true,
	}, Timeout: 30 * time.Second}
}

// run drives op with conc workers for d. With rate > 0 the requests are paced (open loop) at
// that many per second and each latency counts from the request's scheduled time, so a server
// that falls behind is not flattered by the generator waiting for it.
func run(ctx context.Context, client *http.Client, o op, conc int, d time.Duration, rate float64) result {
	var (
		n       atomic.Int64
		mu      sync.Mutex
		all     []time.Duration
		errs    int
		firstEr string
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	var sched chan time.Time
	if rate > 0 {
		sched = make(chan time.Time, conc*4)
		go func() {
			defer close(sched)
			start := time.Now()
			for k := 0; ; k++ {
				at := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
				if at.After(deadline) {
					return
				}
				if w := time.Until(at); w > 0 {
					time.Sleep(w)
				}
				select {
				case sched <- at:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			var e int
			var fe string
			var pending *http.Request
			for {
				var t0 time.Time
				if sched != nil {
					at, ok := <-sched
					if !ok {
						break
					}
					t0 = at
				} else {
					if time.Now().After(deadline) || ctx.Err() != nil {
						break
					}
					t0 = time.Now()
				}
				req := pending
				pending = nil
				if req == nil {
					req = o.make(int(n.Add(1) - 1))
					if req == nil {
						break
					}
				}
				resp, err := client.Do(req.WithContext(ctx))
				var body []byte
				status := 0
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				if err == nil && o.check != nil {
					err = o.check(status, body)
				}
				took := time.Since(t0)
				if err != nil {
					e++
					if fe == "" {
						fe = err.Error()
					}
					continue
				}
				lat = append(lat, took)
				if o.next != nil {
					pending = o.next(body)
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += e
			if firstEr == "" {
				firstEr = fe
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	r := result{Name: o.name, Concurrency: conc, Rate: rate, Ops: len(all), Errors: errs, FirstError: firstEr, Elapsed: elapsed}
	if elapsed > 0 {
		r.Throughput = float64(len(all)) / elapsed.Seconds()
	}
	r.P50, r.P99, r.P999 = pct(all, 0.50), pct(all, 0.99), pct(all, 0.999)
	return r
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func want200(status int, body []byte) error {
	if status != 200 {
		return fmt.Errorf("status %d: %.200s", status, body)
	}
	return nil
}

// ceilingHandler is the trivial net/http JSON handler every figure is divided by: it reads a
// small JSON request and answers a small JSON document.
func ceilingHandler(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"apiVersion": "v1", "kind": "Pong", "status": map[string]any{"ok": true, "name": in["name"]}})
}

// serveCeiling is `eksaccess-bench ceiling`: the ceiling server in its own process, as the
// server under test is; it prints its address and serves until stdin closes.
func serveCeiling() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() { io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	http.Serve(ln, http.HandlerFunc(ceilingHandler))
}

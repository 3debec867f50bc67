// Package console is eksaccess's read-only web console: server-rendered pages (html/template,
// assets embedded, no CDN) over the access domain and the activity recorder. It never shows
// secrets: no access keys' secrets, session tokens or token material reach it.
package console

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/explain"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the console reads.
type Config struct {
	Service *access.Service
	Store   access.Store
	// Recorder is nil when activity recording is off (pages say so).
	Recorder *activity.Recorder
	// Explainer answers the explain, who-can and access-matrix forms (nil: not available).
	Explainer *explain.Explainer
	Logger    *slog.Logger
	// HostAllowed, when set, is asked for every request's Host header: a page of another site
	// that rebinds its DNS name to the console's address is refused (421), so it cannot read
	// the console from the visitor's browser.
	HostAllowed func(host string) bool
}

// Console serves the pages.
type Console struct {
	cfg   Config
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// PageSize is how many access entries a page of a cluster's entries shows.
const PageSize = 50

var funcs = template.FuncMap{
	"when": func(e activity.Epoch) string {
		if e == 0 {
			return "never"
		}
		return e.Time().UTC().Format("2006-01-02 15:04:05Z")
	},
	"ts":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000Z") },
	"join": strings.Join,
	"policyName": func(arn string) string {
		if i := strings.LastIndexByte(arn, '/'); i >= 0 {
			return arn[i+1:]
		}
		return arn
	},
	"verdict": func(v string) string { return strings.ReplaceAll(v, "_", " ") },
	"q":       url.QueryEscape,
	"p":       url.PathEscape,
}

// New returns the console's handler.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{cfg: cfg, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		c.pages[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /{$}", c.clusters)
	c.mux.HandleFunc("GET /clusters/{account}/{region}/{name}", c.entries)
	c.mux.HandleFunc("GET /clusters/{account}/{region}/{name}/entry", c.entry)
	c.mux.HandleFunc("GET /clusters/{account}/{region}/{name}/unused", c.unused)
	c.mux.HandleFunc("GET /clusters/{account}/{region}/{name}/explain", c.explorer("explain"))
	c.mux.HandleFunc("GET /clusters/{account}/{region}/{name}/who-can", c.explorer("who-can"))
	c.mux.HandleFunc("GET /clusters/{account}/{region}/{name}/access-matrix", c.explorer("access-matrix"))
	c.mux.HandleFunc("GET /decisions", c.decisions)
	c.mux.HandleFunc("GET /decisions.json", c.decisionsJSON)
	c.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusNotFound, "No page at "+r.URL.Path+".")
	})
	return c
}

// ServeHTTP serves a page with headers that keep it read-only and self-contained.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	defer func() {
		if p := recover(); p != nil {
			c.cfg.Logger.Error("console panic", "path", r.URL.Path, "panic", p)
			c.fail(w, r, http.StatusServiceUnavailable, "The page could not be shown.")
		}
	}()
	if c.cfg.HostAllowed != nil && !c.cfg.HostAllowed(r.Host) {
		c.fail(w, r, http.StatusMisdirectedRequest, "This console answers only on its own address (a loopback name or IP); the page came through another name.")
		return
	}
	c.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string
	Error string
	Data  any
	// Recording is false when activity recording is off.
	Recording bool
}

func (c *Console) render(w http.ResponseWriter, status int, name string, p page) {
	p.Recording = c.cfg.Recorder != nil
	var b strings.Builder
	if err := c.pages[name].Execute(&b, p); err != nil {
		c.cfg.Logger.Error("console template", "page", name, "error", err)
		status, p = http.StatusServiceUnavailable, page{Title: "Error", Error: "The page could not be shown."}
		b.Reset()
		c.pages["error"].Execute(&b, p)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// fail shows a message on a page of its own: bad input is a 400 with a message, never a 500.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	c.render(w, status, "error", page{Title: http.StatusText(status), Error: msg})
}

// failErr renders an error of the domain or the store as a message.
func (c *Console) failErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *access.Error
	switch {
	case errors.As(err, &ae):
		status := ae.Status
		if status >= 500 {
			status = http.StatusServiceUnavailable
		}
		c.fail(w, r, status, ae.Message)
	default:
		c.cfg.Logger.Warn("console read failed", "path", r.URL.Path, "error", err)
		c.fail(w, r, http.StatusServiceUnavailable, "The database could not be read; try again.")
	}
}

// query parses the query string; a malformed one is a message.
func query(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, access.InvalidParameter("The query string is malformed.")
	}
	return q, nil
}

// clusterRequest reads a cluster page's query and the cluster the path names; on error it
// has shown the message and ok is false.
func (c *Console) clusterRequest(w http.ResponseWriter, r *http.Request) (url.Values, *access.Cluster, access.Caller, bool) {
	q, err := query(r)
	if err == nil {
		var cl *access.Cluster
		var caller access.Caller
		if cl, caller, err = c.cluster(r); err == nil {
			return q, cl, caller, true
		}
	}
	c.failErr(w, r, err)
	return nil, nil, access.Caller{}, false
}

// cluster reads the cluster the path names.
func (c *Console) cluster(r *http.Request) (*access.Cluster, access.Caller, error) {
	caller := access.Caller{Account: r.PathValue("account"), Region: r.PathValue("region")}
	cl, err := c.cfg.Service.DescribeCluster(r.Context(), caller, r.PathValue("name"))
	return cl, caller, err
}

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

package console_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/eksaccess/eksaccess/internal/explain"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// ScreenshotsEnv set to 1 makes the browser tests write their screenshots to docs/console/
// (checked in; plain test runs leave the tree alone).
const ScreenshotsEnv = "EKSACCESS_SCREENSHOTS"

// browser starts Debian's chromium headless, with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		path, err = exec.LookPath("/usr/bin/chromium")
	}
	testutil.RequireCI(t, "chromium (Debian package chromium)", err)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// shot saves a full-page screenshot as docs/console/<name>.png when ScreenshotsEnv asks.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv(ScreenshotsEnv) != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// page navigates to url and returns the text of main and the whole HTML.
func page(t *testing.T, ctx context.Context, url string) (text, html string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return textOf(t, ctx, "main"), htmlOf(t, ctx)
}

func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return text
}

func htmlOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	return html
}

func mustContain(t *testing.T, where, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", where, w, text)
		}
	}
}

func TestConsolePages(t *testing.T) {
	f := testutil.StartActivity(t, testutil.Options{Mutate: func(c *server.Config) { c.Activity.ConsoleListen = "127.0.0.1:0" }})
	if !f.Ask(t, "get", "", "pods", "default") || f.Ask(t, "delete", "", "secrets", "prod") {
		t.Fatal("dave's policies")
	}
	base := f.ConsoleURL()
	ctx := browser(t)
	tokenPart := f.DaveToken[len("k8s-aws-v1."):][:40]
	noSecrets := func(where, html string) {
		t.Helper()
		for _, s := range []string{tokenPart, "k8s-aws-v1.", testutil.AliceSecret, testutil.DaveSecret} {
			if strings.Contains(html, s) {
				t.Fatalf("%s shows secret material %q", where, s)
			}
		}
	}

	// Clusters: mode, entries, unused counts (alice's creator entry and idle's).
	text, html := page(t, ctx, base+"/")
	mustContain(t, "clusters page", text, "web\t012345678910\tus-west-2\tAPI\t3\t2")
	noSecrets("clusters page", html)
	shot(t, ctx, "clusters")

	// Keyboard: the first Tab reaches the skip link, Enter on a cluster link opens it.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	if active, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); err != nil || active != "Skip to content" {
		t.Fatalf("first Tab focuses %q (%v)", active, err)
	}
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`a[href$="/web"]`)), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`//caption[contains(., "Access entries")]`)); err != nil {
		t.Fatalf("keyboard to the cluster: %v", err)
	}

	// A cluster's entries: type, username, groups, policies and scopes, last used.
	text, html = page(t, ctx, base+"/clusters/012345678910/us-west-2/web")
	mustContain(t, "entries page", text, testutil.DaveARN+"\tSTANDARD\t"+testutil.DaveARN+"\tdevs\t", "AmazonEKSEditPolicy (namespace: dev)", "AmazonEKSViewPolicy (cluster)", "by AmazonEKSViewPolicy",
		testutil.IdleARN+"\tSTANDARD")
	if strings.Count(text, "never") < 4 { // alice and idle: never authenticated, never allowed
		t.Errorf("entries page: never-used entries not shown as never:\n%s", text)
	}
	noSecrets("entries page", html)
	shot(t, ctx, "entries")

	// An entry: policies, tags, last used, recent decisions.
	text, html = page(t, ctx, base+"/clusters/012345678910/us-west-2/web/entry?principal="+testutil.DaveARN)
	mustContain(t, "entry page", text, "team\tpayments", "AmazonEKSEditPolicy\tnamespace: dev", "delete secrets in namespace \"prod\"\tno opinion", "get pods in namespace \"default\"\tallowed", "authenticated\tmapped by its access entry")
	noSecrets("entry page", html)
	shot(t, ctx, "entry")

	// The unused-access report; bad input is a message on the page.
	text, _ = page(t, ctx, base+"/clusters/012345678910/us-west-2/web/unused?days=30")
	mustContain(t, "unused page", text, testutil.IdleARN+"\tSTANDARD", "never used", "AmazonEKSClusterAdminPolicy")
	if strings.Contains(text, testutil.DaveARN+"\tSTANDARD") {
		t.Errorf("dave's used entry reported unused:\n%s", text)
	}
	shot(t, ctx, "unused")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("days"), "abc"), chromedp.Submit(chromedp.ID("days")),
		chromedp.WaitVisible(chromedp.CSS(".error"))); err != nil {
		t.Fatal(err)
	}
	text = textOf(t, ctx, ".error")
	mustContain(t, "unused page with days=abc", text, `days must be a whole number from 1 to 3650, got "abc"`)
	for url, want := range map[string]string{
		"/clusters/012345678910/us-west-2/nope":                     "No cluster found for name: nope.",
		"/clusters/012345678910/us-west-2/web/entry?principal=junk": "The specified principalArn could not be found.",
		"/clusters/012345678910/us-west-2/web/entry":                "Name the access entry",
		"/decisions?verdict=deny":                                   `verdict must be one of`,
		"/decisions?limit=-1":                                       `limit must be a whole number`,
		"/no/such/page":                                             "No page at /no/such/page.",
	} {
		text, _ := page(t, ctx, base+url)
		mustContain(t, url, text, want)
	}

	// Explain, who-can and the access matrix: the forms give the explorer's answers, the same
	// verdicts as the API.
	for _, tc := range []struct{ verb, resource, ns, want string }{
		{"get", "pods", "default", "Verdict: allowed by Webhook"},
		{"delete", "secrets", "prod", "Verdict: denied"},
	} {
		var api explain.Explanation
		q := url.Values{"principal": {testutil.DaveARN}, "verb": {tc.verb}, "resource": {tc.resource}, "namespace": {tc.ns}}
		if a := f.OwnGet(t, testutil.AliceKey, testutil.AliceSecret, "/eksaccess/v1/clusters/web/explain", q, &api); a.Status != 200 {
			t.Fatalf("explain API: %s", a)
		}
		page(t, ctx, base+"/clusters/012345678910/us-west-2/web/explain")
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("principal"), testutil.DaveARN), chromedp.SetValue(chromedp.ID("verb"), tc.verb),
			chromedp.SetValue(chromedp.ID("resource"), tc.resource), chromedp.SetValue(chromedp.ID("namespace"), tc.ns),
			chromedp.Submit(chromedp.ID("verb")), chromedp.WaitVisible(chromedp.ID("verdict"))); err != nil {
			t.Fatal(err)
		}
		verdict := textOf(t, ctx, "#verdict")
		apiVerdict := "Verdict: " + api.Decision
		if api.DecidedBy != "" {
			apiVerdict += " by " + api.DecidedBy
		}
		if verdict != tc.want || verdict != apiVerdict {
			t.Fatalf("explain %s %s in %s: page %q, API %q, want %q", tc.verb, tc.resource, tc.ns, verdict, apiVerdict, tc.want)
		}
		if tc.verb == "get" {
			mustContain(t, "explain page", textOf(t, ctx, "main"), "AmazonEKSViewPolicy", "mapped")
			shot(t, ctx, "explain")
		}
	}
	text, _ = page(t, ctx, base+"/clusters/012345678910/us-west-2/web/explain?principal=arn:aws:iam::012345678910:bogus&verb=get&resource=pods")
	if strings.Contains(text, "Verdict") || !strings.Contains(text, "Error:") {
		t.Fatalf("explain with a malformed principal:\n%s", text)
	}
	text, _ = page(t, ctx, base+"/clusters/012345678910/us-west-2/web/who-can?verb=create&resource=deployments.apps&namespace=dev")
	mustContain(t, "who-can page", text, testutil.DaveARN, "AmazonEKSEditPolicy")
	if strings.Contains(text, testutil.IdleARN) {
		t.Errorf("who-can lists idle, whose View policy cannot create:\n%s", text)
	}
	shot(t, ctx, "who-can")
	text, _ = page(t, ctx, base+"/clusters/012345678910/us-west-2/web/access-matrix?principal="+url.QueryEscape(testutil.DaveARN)+"&namespace=dev")
	mustContain(t, "access-matrix page", text, "deployments.apps\tyes\tyes\tyes\tyes\tyes\tyes\tyes")
	shot(t, ctx, "access-matrix")

	// The decision log follows live: a decision made through the webhook appears on the open
	// page without a reload.
	text, _ = page(t, ctx, base+"/decisions?cluster=web")
	mustContain(t, "decisions page", text, "delete secrets in namespace \"prod\"\tno opinion")
	if strings.Contains(text, "create deployments.apps") {
		t.Fatal("decision shown before it was made")
	}
	if !f.Ask(t, "create", "apps", "deployments", "dev") {
		t.Fatal("not allowed")
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//tbody[@id="decisions"]/tr[1][contains(., 'create deployments.apps in namespace "dev"')]`)); err != nil {
		t.Fatalf("the new decision did not appear: %v", err)
	}
	text = textOf(t, ctx, "#decisions tr:first-child")
	mustContain(t, "live decision row", text, testutil.DaveARN, "allowed", "allowed by AmazonEKSEditPolicy")
	shot(t, ctx, "decisions")
}

// Off loopback, the console needs TLS with client certificates.
func TestConsoleRefusesPlainOffLoopback(t *testing.T) {
	cfg := server.Config{Listen: "127.0.0.1:0", Database: "sqlite://" + filepath.Join(t.TempDir(), "e.db"), Activity: server.ActivityConfig{ConsoleListen: "0.0.0.0:0"}}
	s, err := server.Start(context.Background(), cfg)
	if err == nil {
		s.Shutdown(context.Background())
		t.Fatal("console served off loopback without TLS")
	}
	if !strings.Contains(err.Error(), "off loopback the console needs TLS with client certificates") {
		t.Fatal(err)
	}
}

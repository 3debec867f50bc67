package console_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// A page of another site that rebinds its DNS name to the loopback console must not read it:
// the console answers only Host names a client on this machine uses. Its listener has the same
// deadlines as the API's, so a stalled request does not hold a connection. (Raw HTTP: attack
// requests a browser under the attacker's control would send.)
func TestConsoleRefusesReboundHostsAndStalledRequests(t *testing.T) {
	t.Parallel()
	to := server.Timeouts{ReadHeader: 500 * time.Millisecond, Read: time.Second, Write: 2 * time.Second, Idle: time.Second}
	f := testutil.StartActivity(t, testutil.Options{Mutate: func(c *server.Config) {
		c.Activity.ConsoleListen, c.Timeouts = "127.0.0.1:0", to
	}})
	base := f.ConsoleURL()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	get := func(host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", base+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, b := f.Do(t, req)
		return resp.StatusCode, string(b)
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port} {
		if code, body := get(host); code != http.StatusOK || !strings.Contains(body, "web") {
			t.Errorf("Host %s: %d, want the clusters page", host, code)
		}
	}
	for _, host := range []string{"evil.example:" + port, "evil.example", "10.0.0.1:" + port} {
		code, body := get(host)
		if code != http.StatusMisdirectedRequest || !strings.Contains(body, "answers only on its own address") || strings.Contains(body, "arn:aws:iam::") {
			t.Errorf("Host %s: %d, want 421 and no data:\n%s", host, code, body)
		}
	}

	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /decisions HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nX-Slow: ", port)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a request whose header never ends: %v, want the console to drop the connection", err)
	}
}

package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/postgres"
	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
	"github.com/jackc/pgx/v5"
)

func insertCluster(s access.Store, name string) error {
	c := &access.Cluster{ID: "id-" + name, Account: "111111111111", Region: "us-west-2", Name: name,
		ARN: "arn:aws:eks:us-west-2:111111111111:cluster/" + name, Status: access.ClusterActive,
		AuthenticationMode: access.ModeAPI, Tags: map[string]string{}, Revision: 1}
	return s.Update(context.Background(), func(tx access.Tx) error { return tx.InsertCluster(c) })
}

// TestFeedNotifiesAndCatchesUp: a committed change reaches the feed's handler; a change
// committed while the feed's connection is down arrives after it reconnects (catch-up by
// revision).
func TestFeedNotifiesAndCatchesUp(t *testing.T) {
	base := testenv.PostgresDSN(t)
	appName := "feedtest-" + time.Now().Format("150405.000000")
	dsn := testenv.PostgresSchema(t, base) + "&application_name=" + appName
	appName += " (change feed)"
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	feed, err := s.NewFeed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	refreshed := make(chan string, 100)
	var once sync.Once
	lost := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		feed.Run(ctx, postgres.FeedHandler{
			Refresh: func(_ context.Context, ids []string) error {
				for _, id := range ids {
					refreshed <- id
				}
				return nil
			},
			Reload: func(context.Context) error { return nil },
			Log: func(msg string, err error) {
				// Runs while the feed is disconnected: this write can only arrive by catch-up.
				once.Do(func() {
					if err := insertCluster(s, "while-down"); err != nil {
						t.Error(err)
					}
					close(lost)
				})
			},
		})
	}()
	defer func() { cancel(); <-done }()

	admin, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	listener := func() int {
		var pid int
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := admin.QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY backend_start DESC LIMIT 1`, appName).Scan(&pid)
			if err == nil {
				return pid
			}
			if time.Now().After(deadline) {
				t.Fatalf("feed not listening: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	listener()

	wait := func(id string) time.Duration {
		t.Helper()
		start := time.Now()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case got := <-refreshed:
				if got == id {
					return time.Since(start)
				}
			case <-timeout:
				t.Fatalf("cluster %s never reached the feed", id)
			}
		}
	}
	start := time.Now()
	if err := insertCluster(s, "live"); err != nil {
		t.Fatal(err)
	}
	wait("id-live")
	t.Logf("commit to handler: %v", time.Since(start))

	if _, err := admin.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, listener()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("the feed did not notice its connection was cut")
	}
	wait("id-while-down")
}

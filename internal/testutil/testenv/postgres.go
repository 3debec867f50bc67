package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the DSN of the PostgreSQL the tests use (.ci/run starts one with
// hack/postgres.sh). Unset: PostgreSQL tests skip locally and fail under CI=true.
const PostgresEnv = "EKSACCESS_TEST_POSTGRES"

// PostgresDSN is the test PostgreSQL's DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		RequireCI(t, "PostgreSQL", errors.New(PostgresEnv+" is not set (export "+PostgresEnv+"=$(hack/postgres.sh start))"))
	}
	return dsn
}

// PostgresSchema creates an empty schema for the test in the database dsn names and returns a
// DSN whose connections use it (search_path), so tests sharing one database do not meet. The
// schema is dropped when the test ends.
func PostgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, dsn); err == nil {
			conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
			conn.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

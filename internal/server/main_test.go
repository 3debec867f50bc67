package server_test

import (
	"os"
	"testing"

	"github.com/eksaccess/eksaccess/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testutil.StopAWSWorkers()
	os.Exit(code)
}

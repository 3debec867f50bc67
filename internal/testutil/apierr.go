package testutil

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// WantAPIError asserts err is an AWS API error with the given code, HTTP status and a message
// containing msg.
func WantAPIError(t testing.TB, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d) %q, got success", code, status, msg)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %T: %v", code, err, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want error code %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("want message containing %q, got %q", msg, ae.ErrorMessage())
	}
	var re *http.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("want HTTP %d, got %d", status, re.HTTPStatusCode())
	}
	if re.ServiceRequestID() == "" {
		t.Fatalf("no x-amzn-RequestId on error response")
	}
}

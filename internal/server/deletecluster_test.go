package server_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// DeleteCluster refuses a cluster with deletion protection on (InvalidRequestException, as the
// user guide says) and a cluster with an update in progress (ResourceInUseException, EKS's
// wording); the cluster stays. Once protection is turned off by an update, it is deleted.
func TestDeleteClusterRefusals(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, time.Hour) // updates stay InProgress
	c, ctx := s.EKS(), testutil.Ctx(t)

	in := createClusterInput("protected", types.AuthenticationModeApi)
	in.DeletionProtection = aws.Bool(true)
	if _, err := c.CreateCluster(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("protected")})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, "Cannot delete cluster protected because deletion protection is enabled")
	d := describeCluster(t, ctx, c, "protected")
	if d.Status != types.ClusterStatusActive || !aws.ToBool(d.DeletionProtection) {
		t.Fatalf("after the refused delete: %s deletionProtection=%v", d.Status, d.DeletionProtection)
	}

	if _, err := c.CreateCluster(ctx, createClusterInput("busy", types.AuthenticationModeApi)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("busy"),
		Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeApi}, Enabled: aws.Bool(true)}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("busy")})
	testutil.WantAPIError(t, err, "ResourceInUseException", 409, "Cannot delete because cluster busy currently has an update in progress")
	if _, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("busy")}); err != nil {
		t.Fatalf("cluster gone after the refused delete: %v", err)
	}
}

func TestDeleteClusterAfterProtectionOff(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)
	in := createClusterInput("p", "")
	in.DeletionProtection = aws.Bool(true)
	if _, err := c.CreateCluster(ctx, in); err != nil {
		t.Fatal(err)
	}
	u, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("p"), DeletionProtection: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitUpdate(t, ctx, c, "p", *u.Update.Id).Status; st != types.UpdateStatusSuccessful {
		t.Fatalf("update %s", st)
	}
	out, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Cluster.Status != types.ClusterStatusDeleting {
		t.Fatalf("status %s", out.Cluster.Status)
	}
}

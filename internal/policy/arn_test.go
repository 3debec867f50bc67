package policy

import "testing"

func TestParseARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arn             string
		partition, name string
		ok              bool
	}{
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws", "AmazonEKSViewPolicy", true},
		{"arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws-cn", "AmazonEKSViewPolicy", true},
		{"arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", "aws-us-gov", "AmazonEKSAdminPolicy", true},
		{"arn:aws-iso-f:eks::aws:cluster-access-policy/X1", "aws-iso-f", "X1", true},
		{"arn:aws-eusc:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws-eusc", "AmazonEKSViewPolicy", true},
		// Well-formed names need not exist: ParseARN checks the format only.
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicyy", "aws", "AmazonEKSViewPolicyy", true},
		{"arn:aws:iam::aws:policy/AdministratorAccess", "", "", false},
		{"AmazonEKSViewPolicy", "", "", false},
		{"", "", "", false},
		{"arn:aws:eks:::cluster-access-policy/AmazonEKSViewPolicy", "", "", false},
		{"arn:aws:eks:us-east-1:aws:cluster-access-policy/AmazonEKSViewPolicy", "", "", false},
		{"arn:aws:eks::111122223333:cluster-access-policy/AmazonEKSViewPolicy", "", "", false},
		{"arn:aws-mars:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "", "", false},
		{"arn:aws:eks::aws:cluster-access-policy/", "", "", false},
		{"arn:aws:eks::aws:cluster-access-policy/Amazon-EKS", "", "", false},
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy/x", "", "", false},
		{"arn:aws:eks::aws:access-policy/AmazonEKSViewPolicy", "", "", false},
		{"ARN:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "", "", false},
		{" arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			t.Parallel()
			p, n, ok := ParseARN(tt.arn)
			if p != tt.partition || n != tt.name || ok != tt.ok {
				t.Errorf("ParseARN(%q) = %q, %q, %v; want %q, %q, %v", tt.arn, p, n, ok, tt.partition, tt.name, tt.ok)
			}
		})
	}
}

// TestLookupFormatVersusUnknown follows AssociateAccessPolicy: 400 "The
// policyArn parameter format is not valid" versus 404 "The specified
// policyArn could not be found."
func TestLookupFormatVersusUnknown(t *testing.T) {
	t.Parallel()
	const (
		ok       = "found"
		badFmt   = "400 format not valid"
		notFound = "404 not found"
	)
	tests := []struct {
		desc, arn, partition, want string
	}{
		{"listed policy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "aws", ok},
		{"documented but unlisted policy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterInsightsPolicy", "aws", ok},
		{"China partition on a China server", "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws-cn", ok},
		{"empty server partition means aws", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "", ok},
		{"IAM policy ARN", "arn:aws:iam::aws:policy/AdministratorAccess", "aws", badFmt},
		{"random string", "not-an-arn", "aws", badFmt},
		{"bare policy name", "AmazonEKSViewPolicy", "aws", badFmt},
		{"empty", "", "aws", badFmt},
		{"other eks resource", "arn:aws:eks:us-east-1:111122223333:cluster/prod", "aws", badFmt},
		{"empty name", "arn:aws:eks::aws:cluster-access-policy/", "aws", badFmt},
		{"name with dash", "arn:aws:eks::aws:cluster-access-policy/Amazon-EKS-View", "aws", badFmt},
		{"trailing path", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy/", "aws", badFmt},
		{"empty partition", "arn::eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws", badFmt},
		{"upper-case service", "arn:aws:EKS::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws", badFmt},
		{"typo in name", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicyy", "aws", notFound},
		{"wrong case in name", "arn:aws:eks::aws:cluster-access-policy/amazoneksviewpolicy", "aws", notFound},
		{"wrong partition", "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws", notFound},
		{"unknown partition", "arn:aws-mars:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws", notFound},
		{"triple colon (empty account)", "arn:aws:eks:::cluster-access-policy/AmazonEKSViewPolicy", "aws", notFound},
		{"region given", "arn:aws:eks:us-west-2:aws:cluster-access-policy/AmazonEKSViewPolicy", "aws", notFound},
		{"account number", "arn:aws:eks::111122223333:cluster-access-policy/AmazonEKSViewPolicy", "aws", notFound},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			p, formatOK, found := Lookup(tt.arn, tt.partition)
			got := ok
			switch {
			case !formatOK:
				got = badFmt
			case !found:
				got = notFound
			}
			if got != tt.want {
				t.Fatalf("Lookup(%q, %q) = %v, %v: %s; want %s", tt.arn, tt.partition, formatOK, found, got, tt.want)
			}
			if found != (p != nil) {
				t.Errorf("found=%v but policy %v", found, p)
			}
			if found {
				if _, name, _ := ParseARN(tt.arn); p.Name != name {
					t.Errorf("resolved to %s, want %s", p.Name, name)
				}
			}
		})
	}
}

func TestPolicyARNRoundTrip(t *testing.T) {
	t.Parallel()
	for _, part := range partitions {
		for _, p := range cat.all {
			arn := PolicyARN(part, p.Name)
			gp, gn, ok := ParseARN(arn)
			if !ok || gp != part || gn != p.Name {
				t.Errorf("ParseARN(%q) = %q, %q, %v", arn, gp, gn, ok)
			}
			if q, formatOK, found := Lookup(arn, part); !formatOK || !found || q.Name != p.Name {
				t.Errorf("Lookup(%q, %q) = %v, %v, %v", arn, part, q, formatOK, found)
			}
		}
	}
}

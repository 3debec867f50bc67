package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/eksaccess/eksaccess/internal/explain"
)

// The explorer's commands: thin clients over GET /eksaccess/v1/clusters/{name}/….

// clientFlags registers the flags every API-client command shares.
func clientFlags(fs *flag.FlagSet) (*clientOptions, *string, *string) {
	o := &clientOptions{}
	fs.StringVar(&o.EndpointURL, "endpoint-url", "", "eksaccess server URL (else AWS_ENDPOINT_URL_EKS or AWS_ENDPOINT_URL)")
	fs.StringVar(&o.Region, "region", "", "AWS region (else the AWS credential chain's: AWS_REGION, profile)")
	fs.StringVar(&o.Profile, "profile", "", "AWS profile (else AWS_PROFILE)")
	cluster := fs.String("cluster", "", "cluster name (required)")
	output := fs.String("o", "table", "output: table or json")
	return o, cluster, output
}

// parseInterleaved parses flags given before and after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func explorerCmd(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o, cluster, output := clientFlags(fs)
	var principal, user, groups, verb, resource, subresource, objName, namespace, apiGroup, path string
	if name != "who-can" {
		fs.StringVar(&principal, "principal", "", "IAM user or role ARN, or assumed-role session ARN")
		fs.StringVar(&user, "user", "", "Kubernetes user name (an OIDC user, a service account), instead of --principal")
		fs.StringVar(&groups, "groups", "", "comma-separated Kubernetes groups of --user")
	}
	fs.StringVar(&namespace, "namespace", "", "namespace (empty: cluster-scoped or all namespaces)")
	fs.StringVar(&namespace, "n", "", "shorthand for --namespace")
	if name != "access-matrix" {
		fs.StringVar(&verb, "verb", "", "verb, e.g. get, delete")
		fs.StringVar(&resource, "resource", "", "resource, e.g. pods, deployments.apps, pods/log")
		fs.StringVar(&subresource, "subresource", "", "subresource, e.g. log")
		fs.StringVar(&objName, "name", "", "object name")
		fs.StringVar(&apiGroup, "api-group", "", "API group (or give resource.group)")
		fs.StringVar(&path, "path", "", "non-resource URL, e.g. /healthz (instead of a resource)")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: eksaccess %s --cluster NAME %s [flags]\n\n", name, map[string]string{
			"explain":       "--principal ARN --verb VERB --resource RESOURCE",
			"who-can":       "VERB RESOURCE [NAME]",
			"access-matrix": "--principal ARN",
		}[name])
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if name == "who-can" && len(pos) >= 1 { // VERB RESOURCE [NAME], as kubectl-who-can
		verb = pos[0]
		if len(pos) >= 2 {
			resource = pos[1]
		}
		if len(pos) == 3 {
			objName = pos[2]
		}
		if len(pos) > 3 {
			fmt.Fprintf(stderr, "eksaccess %s: unexpected arguments %q\n", name, pos[3:])
			return 2
		}
	} else if len(pos) > 0 {
		fmt.Fprintf(stderr, "eksaccess %s: unexpected arguments %q\n", name, pos)
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "eksaccess %s: %s\n", name, fmt.Sprintf(format, a...))
		return 1
	}
	if *cluster == "" {
		return fail("--cluster is required")
	}
	if *output != "table" && *output != "json" {
		return fail("-o %q: want table or json", *output)
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("principal", principal)
	set("user", user)
	set("groups", groups)
	set("verb", verb)
	if strings.HasPrefix(resource, "/") && path == "" { // who-can get /healthz
		resource, path = "", resource
	}
	set("resource", resource)
	set("subresource", subresource)
	set("name", objName)
	set("namespace", namespace)
	set("apiGroup", apiGroup)
	set("path", path)
	ctx := context.Background()
	c, err := newAPIClient(ctx, *o)
	if err != nil {
		return fail("%v", err)
	}
	endpoint := map[string]string{"explain": "explain", "who-can": "who-can", "access-matrix": "access-matrix"}[name]
	p := "/eksaccess/v1/clusters/" + url.PathEscape(*cluster) + "/" + endpoint
	var out any
	switch name {
	case "explain":
		out = &explain.Explanation{}
	case "who-can":
		out = &explain.WhoCanResult{}
	default:
		out = &explain.Matrix{}
	}
	if err := c.get(ctx, p, q, out); err != nil {
		return fail("%v", err)
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	switch v := out.(type) {
	case *explain.Explanation:
		printExplanation(stdout, v)
	case *explain.WhoCanResult:
		printWhoCan(stdout, v)
	case *explain.Matrix:
		printMatrix(stdout, v)
	}
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func printNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func printExplanation(w io.Writer, e *explain.Explanation) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(e.Decision), e.Reason)
	id := e.Identity
	fmt.Fprintf(w, "\nIdentity (%s): %s\n", id.Via, id.Reason)
	if id.Mapped {
		fmt.Fprintf(w, "  username: %s\n  groups:   %s\n", id.Username, strings.Join(id.Groups, ", "))
	}
	if id.Templates != "" {
		fmt.Fprintf(w, "  note: %s\n", id.Templates)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "\nAuthorizers (--authorization-mode=Node,RBAC,Webhook):")
	for _, a := range e.Authorizers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Name, a.Decision, a.Reason)
	}
	tw.Flush()
	if len(e.Policies) > 0 {
		fmt.Fprintln(w, "\nAccess policies:")
		fmt.Fprintln(tw, "  POLICY\tSCOPE\tSCOPE MATCHES\tRULE MATCHES\tGRANTS")
		for _, p := range e.Policies {
			scope := p.ScopeType
			if len(p.Namespaces) > 0 {
				scope += " " + strings.Join(p.Namespaces, ",")
			}
			name := p.PolicyName
			if name == "" {
				name = p.PolicyARN
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", name, scope, yesNo(p.ScopeMatches), yesNo(p.RuleMatches), yesNo(p.Grants))
		}
		tw.Flush()
	}
	if len(e.Bindings) > 0 {
		fmt.Fprintln(w, "\nRBAC bindings of the user and its groups:")
		fmt.Fprintln(tw, "  BINDING\tROLE\tSUBJECT\tGRANTS\tREASON")
		for _, b := range e.Bindings {
			ref := b.Kind + "/" + b.Name
			if b.Namespace != "" {
				ref = b.Kind + "/" + b.Namespace + "/" + b.Name
			}
			fmt.Fprintf(tw, "  %s\t%s/%s\t%s\t%s\t%s\n", ref, b.RoleKind, b.RoleName, b.Subject, yesNo(b.Grants), b.Reason)
		}
		tw.Flush()
	}
	if len(e.Notes) > 0 {
		fmt.Fprintln(w)
		printNotes(w, e.Notes)
	}
}

func printWhoCan(w io.Writer, r *explain.WhoCanResult) {
	fmt.Fprintf(w, "Who can %s:\n\n", r.Description)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tGRANTED BY")
	for _, p := range r.Principals {
		var by []string
		for _, g := range p.GrantedBy {
			by = append(by, g.Summary)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Kind, p.Name, strings.Join(by, "; "))
	}
	tw.Flush()
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
		printNotes(w, r.Notes)
	}
}

func printMatrix(w io.Writer, m *explain.Matrix) {
	where := "cluster-wide"
	if m.Namespace != "" {
		where = "namespace " + m.Namespace
	}
	fmt.Fprintf(w, "Access of %s (%s) in %s:\n\n", m.Identity.Username, m.Identity.Via, where)
	if !m.Identity.Mapped {
		fmt.Fprintf(w, "%s\n\n", m.Identity.Reason)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "RESOURCE")
	for _, v := range m.Verbs {
		fmt.Fprint(tw, "\t", strings.ToUpper(v))
	}
	fmt.Fprintln(tw)
	by := map[string]int{}
	var legend []string
	for _, row := range m.Rows {
		name := row.Resource
		if row.APIGroup != "" {
			name += "." + row.APIGroup
		}
		fmt.Fprint(tw, name)
		for _, c := range row.Cells {
			cell := "-"
			if c.Allowed {
				n, ok := by[c.By]
				if !ok {
					n = len(legend) + 1
					by[c.By] = n
					legend = append(legend, c.By)
				}
				cell = fmt.Sprintf("yes[%d]", n)
			}
			fmt.Fprint(tw, "\t", cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if len(legend) > 0 {
		fmt.Fprintln(w)
		for i, l := range legend {
			fmt.Fprintf(w, "[%d] %s\n", i+1, l)
		}
	}
	if len(m.Notes) > 0 {
		fmt.Fprintln(w)
		printNotes(w, m.Notes)
	}
}

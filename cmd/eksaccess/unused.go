package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eksaccess/eksaccess/internal/activity"
)

// clientCmd parses a client command's flags and runs it; errors are one line, exit 1 (2 for
// usage errors).
func clientCmd(name string, args []string, stdout, stderr io.Writer, setup func(fs *flag.FlagSet, cluster *string) func(ctx context.Context, c *apiClient, output string) error) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o, cluster, output := clientFlags(fs)
	run := setup(fs, cluster)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eksaccess %s: unexpected arguments %q\n", name, fs.Args())
		return 2
	}
	if *output != "table" && *output != "json" {
		fmt.Fprintf(stderr, "eksaccess %s: -o %q: want table or json\n", name, *output)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := newAPIClient(ctx, *o)
	if err == nil {
		err = run(ctx, c, *output)
	}
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess %s: %v\n", name, err)
		return 1
	}
	return 0
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func when(e activity.Epoch) string {
	if e == 0 {
		return "never"
	}
	return e.Time().UTC().Format(time.RFC3339)
}

func unusedCmd(args []string, stdout, stderr io.Writer) int {
	return clientCmd("unused", args, stdout, stderr, func(fs *flag.FlagSet, cluster *string) func(context.Context, *apiClient, string) error {
		days := fs.Int("days", 30, "unused for at least this many days")
		return func(ctx context.Context, c *apiClient, output string) error {
			if *cluster == "" {
				return fmt.Errorf("--cluster is required")
			}
			var u activity.Unused
			if err := c.get(ctx, "/eksaccess/v1/clusters/"+url.PathEscape(*cluster)+"/unused", url.Values{"days": {strconv.Itoa(*days)}}, &u); err != nil {
				return err
			}
			if output == "json" {
				return printJSON(stdout, &u)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "KIND\tPRINCIPAL\tPOLICY\tSCOPE\tLAST USED\n")
			for _, e := range u.AccessEntries {
				fmt.Fprintf(tw, "entry\t%s\t\t\t%s\n", e.PrincipalARN, when(e.LastUsedAt))
			}
			for _, a := range u.Associations {
				scope := a.AccessScope.Type
				if len(a.AccessScope.Namespaces) > 0 {
					scope += ":" + strings.Join(a.AccessScope.Namespaces, ",")
				}
				fmt.Fprintf(tw, "association\t%s\t%s\t%s\t%s\n", a.PrincipalARN, policyName(a.PolicyARN), scope, when(a.LastAllowedAt))
			}
			return tw.Flush()
		}
	})
}

func policyName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func decisionsCmd(args []string, stdout, stderr io.Writer) int {
	return clientCmd("decisions", args, stdout, stderr, func(fs *flag.FlagSet, cluster *string) func(context.Context, *apiClient, string) error {
		principal := fs.String("principal", "", "only principals (ARN or username) containing this")
		verdict := fs.String("verdict", "", "only this verdict: "+strings.Join(activity.Verdicts, ", "))
		limit := fs.Int("limit", 100, "at most this many, newest first")
		return func(ctx context.Context, c *apiClient, output string) error {
			q := url.Values{"limit": {strconv.Itoa(*limit)}}
			for k, v := range map[string]string{"cluster": *cluster, "principal": *principal, "verdict": *verdict} {
				if v != "" {
					q.Set(k, v)
				}
			}
			var out activity.DecisionsOutput
			if err := c.get(ctx, "/eksaccess/v1/decisions", q, &out); err != nil {
				return err
			}
			if output == "json" {
				return printJSON(stdout, &out)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "TIME\tCLUSTER\tPRINCIPAL\tREQUEST\tVERDICT\tREASON\n")
			for _, d := range out.Decisions {
				req := d.Description
				if req == "" {
					req = "(token review)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Time.Format(time.RFC3339), d.Cluster, d.Principal, req, d.Verdict, d.Reason)
			}
			return tw.Flush()
		}
	})
}

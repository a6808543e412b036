package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	awsdisc "github.com/riskgraph/riskgraph/discovery/aws"
	"github.com/riskgraph/riskgraph/graph"
)

func init() { discoverSubcommands = append(discoverSubcommands, newDiscoverAWSCmd) }

func newDiscoverAWSCmd(g *globals) *cobra.Command {
	var (
		profile, roleARN, env, endpointURL string
		regions                            []string
		allRegions                         bool
		concurrency, maxAttempts           int
		timeout                            time.Duration
		df                                 deliverFlags
	)
	cmd := &cobra.Command{
		Use:   "aws [--profile P] [--region R ...] [--all-regions] [--role-arn ARN]",
		Short: "Discover what runs in an AWS account through its read-only APIs",
		Long: `discover aws reads an AWS account with the default credential chain (or
--profile, or a role assumed with --role-arn) using only Describe, List and Get
calls: API Gateway REST and HTTP APIs with their routes and authorizers, Lambda
functions and function URLs, load balancers and their targets, ECS services and
task definitions, EC2 instances with security groups, subnets and routes, RDS,
DynamoDB, S3 and IAM roles. The batch's scope is the account and the region set.
A service or region that fails (access denied, timeout) is reported, the rest is
applied, the command exits non-zero and nothing is swept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := df.check(g, "discover aws"); err != nil {
				return err
			}
			if allRegions && len(regions) > 0 {
				return fmt.Errorf("discover aws: give --region or --all-regions, not both")
			}
			ctx := cmd.Context()
			var opts []func(*config.LoadOptions) error
			if profile != "" {
				opts = append(opts, config.WithSharedConfigProfile(profile))
			}
			if len(regions) > 0 {
				opts = append(opts, config.WithRegion(regions[0]))
			}
			cfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				return fmt.Errorf("discover aws: load AWS configuration: %w", err)
			}
			if endpointURL != "" {
				cfg.BaseEndpoint = aws.String(endpointURL)
			}
			if roleARN != "" {
				cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN,
					func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "riskgraph-discover" }))
			}
			run := graph.RunID("discover-aws-" + time.Now().UTC().Format("20060102T150405.000000000Z"))
			rep, err := awsdisc.Discover(ctx, awsdisc.Options{
				Config: cfg, Regions: regions, AllRegions: allRegions, Env: env,
				Concurrency: concurrency, Timeout: timeout, MaxAttempts: maxAttempts, Run: run,
			})
			if err != nil {
				return err
			}
			return df.deliver(cmd, g, rep, run)
		},
	}
	f := cmd.Flags()
	df.bind(f)
	f.StringVar(&profile, "profile", "", "shared config profile (default: the default credential chain)")
	f.StringArrayVar(&regions, "region", nil, "region to read (repeatable; default: the profile's region)")
	f.BoolVar(&allRegions, "all-regions", false, "read every region enabled in the account")
	f.StringVar(&roleARN, "role-arn", "", "role to assume for the reads (read-only, e.g. one with the ReadOnlyAccess policy)")
	f.StringVar(&env, "env", "", `environment of what is found (default "aws", as discover uses for Terraform)`)
	f.IntVar(&concurrency, "concurrency", 4, "service×region reads in flight")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "time limit for each service in each region, retries included")
	f.IntVar(&maxAttempts, "max-attempts", 8, "attempts per API call when throttled or failing transiently")
	f.StringVar(&endpointURL, "endpoint-url", "", "send every API call to this endpoint (LocalStack, tests)")
	_ = f.MarkHidden("endpoint-url")
	return cmd
}

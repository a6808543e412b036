// Package aws discovers what really runs in an AWS account by reading its
// APIs: API gateways and their routes, Lambda functions and their URLs,
// load balancers and what they forward to, ECS services, EC2 instances and
// the security groups and routes that decide whether they are reachable,
// RDS, DynamoDB and S3 data stores, and IAM roles with what their policies
// let them reach.
//
// Every call is read-only (Describe*, List*, Get*), paginated, retried with
// backoff on throttling by the SDK's standard retryer and bounded by a
// per-service timeout. A service or region that fails is reported and the
// rest of the run goes on; a run with any failure is partial, so the caller
// must not sweep after it.
//
// Node ids follow the Terraform agent (discovery/terraform): the same
// bucket, function or role declared in Terraform and found live is one node.
package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/graph"
)

// AgentName is the agent name in evidence and the batch scope's source.
const AgentName = "aws"

// Options configure a Discover run.
type Options struct {
	// Config holds credentials, the default region and, for tests and
	// LocalStack, BaseEndpoint. Its retryer is replaced by a standard
	// retryer tuned by MaxAttempts and MaxBackoff.
	Config aws.Config
	// Regions to read; Config.Region when empty. AllRegions asks EC2 for
	// every region enabled in the account instead.
	Regions    []string
	AllRegions bool
	// Env is the environment of what is found, part of every id; "aws"
	// when empty, as in the Terraform agent, so the two line up.
	Env string
	// Concurrency bounds the service×region reads in flight (4 when zero).
	Concurrency int
	// Timeout bounds each service's reads in one region (2 minutes when
	// zero), retries included.
	Timeout time.Duration
	// MaxAttempts and MaxBackoff tune the retryer (8 attempts and 20 s
	// when zero). Throttling is retried with exponential jittered backoff.
	MaxAttempts int
	MaxBackoff  time.Duration
	Run         graph.RunID
}

// service is one AWS API read by the agent. Global services (IAM, S3's
// bucket list) are read once per run, the others once per region.
type service struct {
	name   string
	global bool
	read   func(ctx context.Context, c *clients, out *regionInv) error
}

var services = []service{
	{name: "apigateway", read: readRestAPIs},
	{name: "apigatewayv2", read: readHTTPAPIs},
	{name: "lambda", read: readFunctions},
	{name: "elasticloadbalancing", read: readLoadBalancers},
	{name: "ecs", read: readECS},
	{name: "ec2", read: readEC2},
	{name: "rds", read: readRDS},
	{name: "dynamodb", read: readDynamoDB},
	{name: "s3", global: true, read: readS3},
	{name: "iam", global: true, read: readIAM},
}

// Discover reads the account and returns the report with one batch whose
// scope is the account and region set. The error is for the run as a
// whole (no credentials, the account could not be identified); a service
// or region that fails is in Report.Errors.
func Discover(ctx context.Context, opt Options) (*discovery.Report, error) {
	if opt.Env == "" {
		opt.Env = "aws"
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Minute
	}
	cfg := opt.Config.Copy()
	cfg.Retryer = newRetryer(opt.MaxAttempts, opt.MaxBackoff)
	if cfg.Region == "" && len(opt.Regions) > 0 {
		cfg.Region = opt.Regions[0]
	}
	if cfg.Region == "" && opt.AllRegions {
		cfg.Region = "us-east-1" // any region answers STS and DescribeRegions
	}
	if cfg.Region == "" {
		return nil, errors.New("discover aws: no region: give --region or set one in the profile or AWS_REGION")
	}

	// The account is the scope of the run: without it nothing may be
	// applied (a sweep could otherwise reach another account's elements).
	idCtx, cancel := context.WithTimeout(ctx, opt.Timeout)
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(idCtx, &sts.GetCallerIdentityInput{})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("discover aws: sts GetCallerIdentity: %w", err)
	}
	account := aws.ToString(who.Account)

	regions := append([]string(nil), opt.Regions...)
	if opt.AllRegions {
		rctx, cancel := context.WithTimeout(ctx, opt.Timeout)
		out, err := ec2.NewFromConfig(cfg).DescribeRegions(rctx, &ec2.DescribeRegionsInput{})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("discover aws: ec2 DescribeRegions (for --all-regions): %w", err)
		}
		regions = regions[:0]
		for _, r := range out.Regions {
			regions = append(regions, aws.ToString(r.RegionName))
		}
	}
	if len(regions) == 0 {
		regions = []string{cfg.Region}
	}
	sort.Strings(regions)
	regions = dedupe(regions)

	rep := &discovery.Report{
		Scope:       graph.Scope{Source: AgentName, Key: account + ":" + strings.Join(regions, ",")},
		FilesRead:   map[string]int{},
		NodesByKind: map[string]int{}, EdgesByKind: map[string]int{},
	}
	inv := &inventory{account: account, regions: map[string]*regionInv{}}
	for _, r := range regions {
		inv.regions[r] = &regionInv{region: r, account: account}
	}

	type job struct {
		svc    service
		region string
	}
	var jobs []job
	for _, s := range services {
		if s.global {
			jobs = append(jobs, job{s, regions[0]})
			continue
		}
		for _, r := range regions {
			jobs = append(jobs, job{s, r})
		}
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		sem  = make(chan struct{}, opt.Concurrency)
		errs []*discovery.FileError
	)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				errs = append(errs, jobError(j.svc, j.region, ctx.Err()))
				mu.Unlock()
				return
			}
			defer func() { <-sem }()
			c := newClients(cfg, j.region)
			jctx, cancel := context.WithTimeout(ctx, opt.Timeout)
			defer cancel()
			// Each read fills its own part of the inventory; a failed read
			// keeps nothing, so a half-listed service is not taken for the
			// whole of it.
			part := &regionInv{region: j.region, account: account}
			err := j.svc.read(jctx, c, part)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if jctx.Err() != nil && ctx.Err() == nil {
					err = fmt.Errorf("timed out after %s: %w", opt.Timeout, err)
				}
				errs = append(errs, jobError(j.svc, j.region, err))
				return
			}
			inv.regions[j.region].merge(part)
			rep.FilesRead[j.svc.name]++
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("discover aws: %w", err) // interrupted: nothing to apply
	}
	rep.Files = len(jobs)
	sort.Slice(errs, func(i, k int) bool { return errs[i].File < errs[k].File })
	rep.Errors = errs

	c := discovery.NewCollector(opt.Env)
	newBuilder(inv, c, opt.Env).build()
	rep.Batch, rep.Dangling = c.Batch(rep.Scope, opt.Run)
	for _, n := range rep.Batch.Nodes {
		rep.NodesByKind[string(n.Kind)]++
	}
	for _, e := range rep.Batch.Edges {
		rep.EdgesByKind[string(e.Kind)]++
	}
	rep.Collector = c
	return rep, nil
}

// jobError names the service and region that failed, and says plainly
// when the cause is a missing permission.
func jobError(s service, region string, err error) *discovery.FileError {
	where := "aws:" + region + ":" + s.name
	if s.global {
		where = "aws:global:" + s.name
	}
	msg := err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) && isAccessDenied(ae.ErrorCode()) {
		msg = "access denied (" + ae.ErrorCode() + "): " + ae.ErrorMessage() + "; grant the read-only policy (see README) or skip the service"
	}
	return &discovery.FileError{File: where, Msg: msg, Err: err}
}

func isAccessDenied(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnrecognizedClientException", "Forbidden":
		return true
	}
	return false
}

// newRetryer is the SDK's standard retryer, tuned: more attempts than the
// default 3 (a large account's Describe calls are throttled routinely) and
// exponential jittered backoff up to maxBackoff.
func newRetryer(attempts int, maxBackoff time.Duration) func() aws.Retryer {
	if attempts <= 0 {
		attempts = 8
	}
	if maxBackoff <= 0 {
		maxBackoff = 20 * time.Second
	}
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = maxBackoff
			o.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
		})
	}
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

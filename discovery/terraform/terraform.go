// Package terraform discovers AWS infrastructure from Terraform modules.
//
// A module is a directory of .tf files read together (a DirAgent), so that
// references across files resolve: aws_security_group.web.id in ec2.tf
// names the group declared in network.tf. Variables take their defaults and
// locals are evaluated; what Terraform only knows at apply time (ids, ARNs,
// data sources, variables without defaults) stays unknown — a name that
// cannot be resolved falls back to the resource address and the expression
// is kept in "nameExpr", never a guessed value.
//
// What it finds, in the collector's environment ("aws" if none):
//
//   - DataStore for S3 buckets, RDS instances and clusters, Redshift and
//     DocumentDB clusters, DynamoDB tables, Elasticsearch/OpenSearch
//     domains, Neptune clusters, ElastiCache and EBS volumes: engine,
//     encrypted, managed, port, public (joined), plus misconfiguration
//     facts (publiclyAccessible as configured, publicReason, versioning,
//     accessLogging, misconfigurations such as "unencrypted", "public",
//     "ssh-open-to-internet", "plaintext-secrets"); tables and columns
//     when the user data of an instance connecting to a database creates
//     them (for the data classifier);
//   - Service for EC2 instances, Lambda functions, ECS services and EKS
//     clusters (workload "ec2-instance", "lambda", "ecs-service",
//     "eks-cluster"), with openPorts, sshOpenToInternet, plaintextSecrets
//     and envKeys (names only, never values);
//   - Gateway for load balancers (type "load-balancer") and API gateways
//     (type "api-gateway") with public (joined);
//   - Identity for IAM roles and users (provider "aws", type "iam-role" or
//     "iam-user"; keyed graph.IdentityID("aws", "role/NAME") — the ARN
//     needs the account id, which a module does not know), RUNS_AS from
//     the compute that assumes them and
//     CAN_ACCESS to every discovered resource their policies reach, with
//     actions, resources and wildcard;
//   - Internet -ROUTES_TO-> what is really reachable, gateway -ROUTES_TO->
//     its targets, READS/WRITES and CALLS from references in environment
//     variables, user data and ECS container definitions (via = the
//     argument that refers), CALLS to a ThirdParty for environment URLs
//     naming an external host.
//
// Exposure is joined, never read from one flag: an instance is reachable
// when it gets a public IP, its subnet routes 0.0.0.0/0 to an internet
// gateway and a security group admits 0.0.0.0/0 or ::/0; an RDS instance
// with publicly_accessible = true is public only when, in addition, a
// public subnet of its subnet group (or, without one, the default VPC's
// subnets, when its security groups are the default VPC's) and a security
// group admitting the world on its port say so. Data stores cannot be ROUTES_TO targets, so
// their joined exposure is the "public" property with "publicReason".
//
// Variables come from their defaults and from terraform.tfvars and
// *.auto.tfvars beside the module (which every plan loads). Only native
// syntax (.tf) is read; .tf.json files are not. A child module is read as
// its own directory, so variables its parent passes are unknown there.
//
// Every node carries "address" (the Terraform address, which is how
// Checkov and Trivy name what they flag) and "module" (the directory).
package terraform

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/riskgraph/riskgraph/discovery"
)

// AgentName is the agent's name in evidence.
const AgentName = "terraform"

// MaxFileSize is the largest .tf file read.
const MaxFileSize = 8 << 20

// Agent reads Terraform modules.
type Agent struct{}

func (Agent) Name() string { return AgentName }

// DetectDir accepts a directory holding at least one .tf file. Its
// terraform.tfvars and *.auto.tfvars set variables, as they do for
// terraform plan; .tf.json files are not read.
func (Agent) DetectDir(dir string) bool {
	// .terraform/modules holds copies of registry modules terraform init
	// downloaded; read on their own they are templates, not deployments.
	for _, el := range strings.Split(filepath.ToSlash(dir), "/") {
		if el == ".terraform" {
			return false
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".tf") {
			return true
		}
	}
	return false
}

// ReadDir reads every .tf file of dir as one module. rel is dir as reported
// in evidence (relative to the walked root). A malformed file is returned as
// a *discovery.FileError (all of them, joined); the module is still read
// from the other files so that one bad file does not hide the rest.
//
// Local child modules (module blocks whose source is ./… or ../…) are read
// with the arguments the call passes, their resources addressed
// module.NAME.TYPE.NAME as Terraform and the scanners address them. An
// argument referring to the caller's resources (subnet_id =
// aws_subnet.public.id) makes var.subnet_id in the module that resource:
// exposure joins the caller's subnets and security groups, and routes,
// data flows, RUNS_AS and the module's IAM policies (Resource =
// var.table_arn) reach the caller's nodes. A caller's policies reach the
// resources inside the modules it calls by wildcard or ARN (module outputs
// are not followed). A
// directory that a module inside the walked tree calls is therefore not
// read on its own (its variables would be unknown and its resources
// found twice); pointed at directly (rel "" or "."), it is.
func (a Agent) ReadDir(ctx context.Context, dir, rel string, c *discovery.Collector) error {
	rel = filepath.ToSlash(rel)
	if calledFromWalk(dir, rel) {
		return nil
	}
	names, files, errs := readFiles(dir, rel)
	abs, _ := filepath.Abs(dir)
	load := func(cdir, crel string) ([]string, map[string][]byte, []error) {
		return readFiles(cdir, crel)
	}
	if err := readModule(ctx, moduleInput{dir: abs, rel: rel, names: names, files: files}, c, load); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// readFiles reads the .tf and auto-loaded variable files of dir.
func readFiles(dir, rel string) (names []string, files map[string][]byte, errs []error) {
	files = map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, files, []error{&discovery.FileError{File: rel, Msg: "module directory: " + err.Error(), Err: err}}
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !(strings.HasSuffix(e.Name(), ".tf") || isAutoVars(e.Name())) {
			continue
		}
		shown := relJoin(rel, e.Name())
		info, err := e.Info()
		if err == nil && info.Size() > MaxFileSize {
			errs = append(errs, discovery.Errorf(shown, 0, "file is %d bytes, larger than the %d read", info.Size(), MaxFileSize))
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, &discovery.FileError{File: shown, Msg: err.Error(), Err: err})
			continue
		}
		files[shown] = data
		names = append(names, shown)
	}
	sort.Strings(names)
	return names, files, errs
}

var moduleSource = regexp.MustCompile(`(?m)^\s*source\s*=\s*"(\.{1,2}/[^"]*)"`)

// calledFromWalk reports whether a .tf file in the walked tree calls dir as
// a local module: files in dir's ancestors that lie inside the walk (rel
// says how many there are) and up to two directories below each of them.
func calledFromWalk(dir, rel string) bool {
	if rel == "" || rel == "." {
		return false
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	levels := len(strings.Split(strings.Trim(rel, "/"), "/"))
	anc := abs
	for i := 0; i < levels && i < 3; i++ {
		anc = filepath.Dir(anc)
		if callsIn(anc, abs, 2) {
			return true
		}
	}
	return false
}

// callsIn looks for a module call of target in dir and, depth levels down,
// its subdirectories (skipping target itself and hidden directories).
func callsIn(dir, target string, depth int) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".tf"):
			data, err := os.ReadFile(p)
			if err != nil || len(data) > MaxFileSize {
				continue
			}
			for _, m := range moduleSource.FindAllSubmatch(data, -1) {
				if filepath.Clean(filepath.Join(dir, filepath.FromSlash(string(m[1])))) == target {
					return true
				}
			}
		case e.IsDir() && depth > 0 && p != target && !strings.HasPrefix(e.Name(), "."):
			if callsIn(p, target, depth-1) {
				return true
			}
		}
	}
	return false
}

// isAutoVars reports whether a file is a variable file Terraform loads by
// itself.
func isAutoVars(name string) bool {
	return name == "terraform.tfvars" || strings.HasSuffix(name, ".auto.tfvars")
}

// moduleInput is one module's files and where it sits.
type moduleInput struct {
	dir, rel string
	names    []string
	files    map[string][]byte
	prefix   string               // "module.db." for a called module
	args     map[string]cty.Value // arguments of the call
	argRefs  map[string][]*block  // the caller's resources each argument refers to
	parent   *builder             // the calling module's builder
	depth    int
	chain    []string // directories of the calling modules
}

// loadFunc reads a called module's files.
type loadFunc func(dir, rel string) (names []string, files map[string][]byte, errs []error)

// maxModuleDepth bounds nested module calls.
const maxModuleDepth = 8

// ReadModule reads the given files (name as reported → content) as one
// root module into c. Child modules are not followed (no directory).
func ReadModule(ctx context.Context, rel string, names []string, files map[string][]byte, c *discovery.Collector) error {
	return readModule(ctx, moduleInput{rel: rel, names: names, files: files}, c, nil)
}

func readModule(ctx context.Context, in moduleInput, c *discovery.Collector, load loadFunc) error {
	m := newModule(in.rel)
	m.prefix = in.prefix
	m.varRefs = in.argRefs
	names, files := in.names, in.files
	var errs []error
	var tfvars []string
	for _, n := range names {
		if isAutoVars(path.Base(n)) {
			if in.prefix == "" { // Terraform loads variable files for the root module only
				tfvars = append(tfvars, n)
			}
			continue
		}
		if err := m.parseFile(n, files[n]); err != nil {
			errs = append(errs, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	// terraform.tfvars, then *.auto.tfvars in name order: Terraform loads
	// them on every plan, so their values are what the module deploys with.
	sort.Slice(tfvars, func(i, j int) bool {
		ti, tj := path.Base(tfvars[i]) == "terraform.tfvars", path.Base(tfvars[j]) == "terraform.tfvars"
		if ti != tj {
			return ti
		}
		return tfvars[i] < tfvars[j]
	})
	for _, n := range tfvars {
		if err := m.parseVars(n, files[n]); err != nil {
			errs = append(errs, err)
		}
	}
	// A called module's variables are what the call passes; an argument
	// that cannot be resolved is unknown, not the default.
	for k, v := range in.args {
		m.vars[k] = v
	}
	m.evaluate()
	m.dropUndeployed()
	env := c.Env()
	if env == "" {
		env = "aws"
	}
	b := &builder{m: m, n: newNetwork(m), c: c, env: env, ids: map[string]nodeRef{}, parent: in.parent}
	if in.parent != nil {
		b.n.parent = in.parent.n
	}
	b.build()
	if load == nil || in.depth >= maxModuleDepth {
		return errors.Join(errs...)
	}
	for _, call := range m.calls {
		src, ok := m.str(call.Body, "source")
		if !ok || !(strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")) {
			continue // registry and remote modules are not fetched
		}
		args := map[string]cty.Value{}
		argRefs := map[string][]*block{}
		for n, a := range call.Body.Attributes {
			switch n {
			case "source", "version", "count", "for_each", "providers", "depends_on":
				continue
			}
			if refs := m.exprRefs(a.Expr); len(refs) > 0 {
				argRefs[n] = refs
			}
			if v, ok := evalKnown(a.Expr, m.ctx); ok {
				args[n] = v
			} else {
				args[n] = cty.DynamicVal
			}
		}
		cdir := filepath.Clean(filepath.Join(in.dir, filepath.FromSlash(src)))
		crel := path.Clean(path.Join(in.rel, src))
		if slices.Contains(in.chain, cdir) || cdir == in.dir {
			errs = append(errs, discovery.Errorf(call.File, call.Line, "module %s calls %s, which is already being read (a module cycle)", call.Name, src))
			continue
		}
		cnames, cfiles, cerrs := load(cdir, crel)
		errs = append(errs, cerrs...)
		if len(cnames) == 0 {
			continue
		}
		err := readModule(ctx, moduleInput{dir: cdir, rel: crel, names: cnames, files: cfiles,
			prefix: in.prefix + "module." + call.Name + ".", args: args, argRefs: argRefs, parent: b, depth: in.depth + 1,
			chain: append(slices.Clone(in.chain), in.dir)}, c, load)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

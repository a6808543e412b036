package aws

import (
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/riskgraph/riskgraph/discovery/internal/awsiam"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// envVar is one environment variable of a function or container. Values
// live only in memory while references are resolved; what reaches the
// graph is the name, and for secrets a fingerprint.
type envVar struct {
	owner *node
	name  string
	value string
	where string // evidence: function ARN or task definition ARN
}

// secretValue matches values that are credentials whatever their name:
// provider-issued key formats, private keys, JWTs.
var secretValue = regexp.MustCompile(`^(sk|rk|pk)_(live|test)_[0-9A-Za-z]{10,}|^gh[pousr]_[0-9A-Za-z]{30,}|^github_pat_|^xox[abprs]-|^AIza[0-9A-Za-z_-]{30,}|^glpat-|^https://hooks\.slack\.com/services/|-----BEGIN [A-Z ]*PRIVATE KEY|^eyJ[0-9A-Za-z_-]+\.eyJ[0-9A-Za-z_-]+\.`)

// looksSecret reports whether an environment value is a credential: a
// secret-like name with a literal value, an AWS access key id, a known
// key format, or a URL carrying a password.
func looksSecret(name, value string) bool {
	if value == "" {
		return false
	}
	if endpoint.SecretName(name) && !strings.HasSuffix(strings.ToUpper(name), "_ARN") && !strings.HasPrefix(value, "arn:") {
		return true
	}
	if awsiam.HasAWSKey(value) || secretValue.MatchString(value) {
		return true
	}
	if u, err := url.Parse(value); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return false
}

// envProps records the names of vars on n, fingerprints the secret ones,
// and keeps the values for reference resolution after every node exists.
func (b *builder) envProps(n *node, vars map[string]string, where string) {
	if len(vars) == 0 {
		return
	}
	p := n.Props
	keys := p.Strings("envKeys")
	secrets := p.Strings("secretEnvKeys")
	fps := p.Strings("credentialFingerprints")
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := vars[k]
		keys = append(keys, k)
		if looksSecret(k, v) {
			secrets = append(secrets, k)
			fps = append(fps, k+"="+endpoint.Fingerprint(v))
		}
		b.envs = append(b.envs, envVar{owner: n, name: k, value: v, where: where})
	}
	p["envKeys"] = dedupe(keys)
	if len(secrets) > 0 {
		p["secretEnvKeys"] = dedupe(secrets)
		p["credentialFingerprints"] = dedupe(fps)
		p["plaintextSecrets"] = true
		misconf(p, "plaintext-secrets")
	}
}

// envFlows turns environment values naming a discovered resource into
// edges: a table, bucket or database → READS and WRITES (what the code
// does with it is not visible from here, as in the Terraform agent); a
// function, load balancer or API → CALLS; an external URL → CALLS to a
// ThirdParty.
func (b *builder) envFlows() {
	for _, ev := range b.envs {
		s := src(ev.where, "environment "+ev.name)
		var t *node
		if !bareWord(ev.value) || resourceName.MatchString(ev.name) {
			t = b.resolve(ev.value)
		}
		if t == nil || t == ev.owner {
			if host, ok := thirdPartyHost(ev.value); ok {
				b.thirdParty(ev.owner.ID, host, ev.name, s)
			}
			continue
		}
		switch t.Kind {
		case graph.DataStore:
			for _, k := range []graph.EdgeKind{graph.Reads, graph.Writes} {
				b.edge(k, ev.owner.ID, t.ID, graph.Props{"via": ev.name}, s)
			}
		case graph.Service, graph.Gateway:
			b.edge(graph.Calls, ev.owner.ID, t.ID, graph.Props{"via": ev.name}, s)
		}
	}
}

// resourceName matches variable names that say their value names a
// resource. A bare word ("orders", "production") is taken for a
// resource's name only under such a name: NODE_ENV=production is not a
// reference to a table called production.
var resourceName = regexp.MustCompile(`(?i)table|bucket|db|database|host|endpoint|function|lambda|cluster|name|arn|store|s3|dynamo|queue|topic|service|url|addr|target|instance|api|cache|index|stream`)

// bareWord reports whether v is a plain word: no ARN, URL, path or host.
func bareWord(v string) bool { return !strings.ContainsAny(v, ":/.") }

func thirdPartyHost(v string) (string, bool) { return endpoint.ThirdParty(v) }

func (b *builder) thirdParty(from graph.ID, host, via string, s []graph.Source) {
	id := graph.ThirdPartyID(host)
	b.c.AddNode(AgentName, graph.Node{ID: id, Kind: graph.ThirdParty, Name: host, Props: graph.Props{"host": host}, Sources: s})
	b.edge(graph.Calls, from, id, graph.Props{"via": via}, s)
}

// urlHost returns the host of an http(s) URL ("" when v is not one).
func urlHost(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// resolve finds the discovered resource a value names: its name, its ARN
// (or an ARN below it: a table's stream, a function's alias, a bucket's
// objects), a Lambda proxy integration URI, a load balancer listener, or a
// URL or host:port whose host is the resource's endpoint.
func (b *builder) resolve(v string) *node {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if n, ok := b.byKey[strings.ToLower(v)]; ok {
		return n
	}
	if strings.HasPrefix(v, "arn:") {
		// API Gateway's Lambda integration: …:lambda:path/2015-03-31/functions/<function ARN>/invocations
		if i := strings.Index(v, "/functions/"); i >= 0 && strings.Contains(v, ":lambda:path/") {
			return b.resolve(strings.TrimSuffix(v[i+len("/functions/"):], "/invocations"))
		}
		v = strings.Replace(v, ":listener/", ":loadbalancer/", 1)
		for cand := v; ; {
			i := strings.LastIndexAny(cand, "/:")
			if i <= len("arn:aws:") {
				return nil
			}
			cand = cand[:i]
			if n, ok := b.byKey[strings.ToLower(cand)]; ok {
				return n
			}
		}
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if u.Scheme == "s3" {
			return b.byKey[strings.ToLower("s3://"+u.Host)]
		}
		return b.byKey[strings.ToLower(u.Hostname())]
	}
	if host, _, err := net.SplitHostPort(v); err == nil {
		return b.byKey[strings.ToLower(host)]
	}
	return nil
}

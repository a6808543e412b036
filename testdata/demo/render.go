package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/riskgraph/riskgraph/graph"
)

// File is one rendered artifact. Path is relative to the module root and
// starts with Root.
type File struct {
	Path string
	Data []byte
}

// Artifacts renders every artifact file of the estate, in a fixed order.
// The files committed under testdata/demo are exactly these.
func Artifacts() []File {
	r := rendered()
	out := make([]File, len(r.files))
	for i, f := range r.files {
		out[i] = File{Path: f.Path, Data: slices.Clone(f.Data)}
	}
	return out
}

// rendering holds the artifacts and, for every element of the estate, the
// file and line that shows it (the evidence the batch carries).
type rendering struct {
	files []File
	at    map[string]graph.Source
}

var rendered = sync.OnceValue(render)

func (r *rendering) src(key string) graph.Source {
	s, ok := r.at[key]
	if !ok {
		panic("demo: no evidence recorded for " + key)
	}
	return s
}

// doc builds one text file line by line and records evidence lines.
type doc struct {
	r     *rendering
	path  string
	agent string
	b     strings.Builder
	n     int
}

func (r *rendering) doc(rel, agent string) *doc {
	return &doc{r: r, path: Root + "/" + rel, agent: agent}
}

// l writes one line and returns its number.
func (d *doc) l(format string, args ...any) int {
	if len(args) == 0 {
		d.b.WriteString(format)
	} else {
		fmt.Fprintf(&d.b, format, args...)
	}
	d.b.WriteByte('\n')
	d.n++
	return d.n
}

// mark records line as the evidence of key (the first mark wins).
func (d *doc) mark(key string, line int, detail string) {
	if _, dup := d.r.at[key]; dup {
		return
	}
	d.r.at[key] = graph.Source{Agent: d.agent, File: d.path, Line: line, Detail: detail}
}

func (d *doc) done() { d.r.files = append(d.r.files, File{Path: d.path, Data: []byte(d.b.String())}) }

// jsonDoc adds a JSON file and returns a function finding the line that
// contains a string, for marking evidence.
func (r *rendering) jsonDoc(rel, agent string, v any) func(key, contains, detail string) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	data = append(data, '\n')
	p := Root + "/" + rel
	r.files = append(r.files, File{Path: p, Data: data})
	lines := strings.Split(string(data), "\n")
	return func(key, contains, detail string) {
		for i, l := range lines {
			if strings.Contains(l, contains) {
				if _, dup := r.at[key]; !dup {
					r.at[key] = graph.Source{Agent: agent, File: p, Line: i + 1, Detail: detail}
				}
				return
			}
		}
		panic("demo: " + p + " has no line containing " + contains)
	}
}

// q quotes a YAML scalar (a JSON string is a valid YAML double-quoted one).
func q(s string) string { b, _ := json.Marshal(s); return string(b) }

func codebaseByName(name string) *codebase {
	for i := range codebases {
		if codebases[i].Name == name {
			return &codebases[i]
		}
	}
	panic("demo: unknown codebase " + name)
}

func storeByName(env, name string) *store {
	for i := range stores {
		if stores[i].Env == env && stores[i].Name == name {
			return &stores[i]
		}
	}
	panic("demo: unknown store " + env + "/" + name)
}

func deployed(env, name string) *deployment {
	for i := range deployments {
		if deployments[i].Env == env && deployments[i].Name == name {
			return &deployments[i]
		}
	}
	return nil
}

func (d *deployment) tag() string {
	if d.Tag != "" {
		return d.Tag
	}
	return codebaseByName(d.Name).Version
}

// image is the image reference a deployment runs.
func (d *deployment) image() string {
	cb := codebaseByName(d.Name)
	if cb.External != "" {
		return cb.External
	}
	return fmt.Sprintf("%s/%s/%s:%s", registry, repoGroup(cb), cb.Name, d.tag())
}

// imageWritten is the image as written in the artifact (compose interpolates
// the registry from .env).
func (d *deployment) imageWritten() string {
	if d.Env == staging && codebaseByName(d.Name).External == "" {
		return strings.Replace(d.image(), registry, "${REGISTRY}", 1)
	}
	return d.image()
}

// repoGroup is the registry path of a team's images.
func repoGroup(cb *codebase) string {
	if cb.Team == "storefront" {
		return "shop"
	}
	return cb.Team
}

func repoURL(cb *codebase) string { return "github.com/larkspur/" + cb.Name }

// resolved is a dependency as deployed in one environment.
type resolved struct {
	dep
	Svc, Store, Third string // after staging mapping
	Value             string // the env var's value
}

func resolve(d *deployment, dp dep) (resolved, bool) {
	r := resolved{dep: dp, Svc: dp.Svc, Store: dp.Store, Third: dp.Third}
	if d.Env == staging {
		if r.Store != "" {
			r.Store = stagingStore[r.Store]
			if r.Store == "" {
				return r, false
			}
		}
		if r.Third != "" {
			if s, ok := stagingThird[r.Third]; ok {
				r.Third, r.Svc = "", s
			} else {
				return r, false
			}
		}
	}
	switch {
	case r.Svc != "":
		t := deployed(d.Env, r.Svc)
		if t == nil {
			return r, false
		}
		port := codebaseByName(r.Svc).Port
		host := r.Svc
		if d.Env == prod {
			host = fmt.Sprintf("%s.%s.svc.cluster.local", r.Svc, t.Namespace)
		}
		if strings.HasSuffix(dp.Env, "_ADDR") {
			r.Value = fmt.Sprintf("%s:%d", host, port)
		} else {
			r.Value = fmt.Sprintf("http://%s:%d", host, port)
		}
	case r.Store != "":
		s := storeByName(d.Env, r.Store)
		ssl := "require"
		if !s.Encrypted {
			ssl = "disable"
		}
		user := strings.ReplaceAll(d.Name, "-", "_")
		switch {
		case s.Engine == "postgresql" && strings.HasPrefix(dp.Env, "SPRING_"):
			r.Value = fmt.Sprintf("jdbc:postgresql://%s:%d/%s?sslmode=%s", s.Host, s.Port, s.Database, ssl)
		case s.Engine == "postgresql":
			r.Value = fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=%s", user, s.Host, s.Port, s.Database, ssl)
		case s.Engine == "redis" && d.Env == staging:
			r.Value = fmt.Sprintf("redis://%s:%d/0", s.Host, s.Port)
		case s.Engine == "s3":
			r.Value = "s3://" + s.Name
		default:
			r.Value = fmt.Sprintf("%s:%d", s.Host, s.Port)
		}
	case r.Third != "":
		r.Value = "https://" + r.Third
	}
	return r, true
}

// secretEnv is the name of the env var carrying a dependency's credential.
func secretEnv(dp dep) string {
	base := dp.Env
	for _, suf := range []string{"_API_URL", "_URL", "_ADDR"} {
		if strings.HasSuffix(base, suf) {
			base = strings.TrimSuffix(base, suf)
			break
		}
	}
	if dp.Store != "" {
		return base + "_PASSWORD"
	}
	return base + "_API_KEY"
}

func render() *rendering {
	r := &rendering{at: map[string]graph.Source{}}
	r.renderNamespaces()
	r.renderGateways()
	for i := range deployments {
		if deployments[i].Env == prod {
			r.renderK8s(&deployments[i])
		}
	}
	r.renderNetworkPolicies()
	r.renderCompose()
	for i := range codebases {
		if codebases[i].External == "" && len(codebases[i].Ops) > 0 {
			r.renderSpec(&codebases[i])
		}
	}
	for i := range codebases {
		if codebases[i].External == "" {
			r.renderSBOM(&codebases[i])
		}
	}
	for i := range stores {
		if len(stores[i].Tables) > 0 {
			r.renderDDL(&stores[i])
		}
	}
	r.renderSARIF()
	return r
}

func (r *rendering) renderNamespaces() {
	d := r.doc("k8s/prod/namespaces.yaml", "k8s")
	d.l("# Namespaces of the prod cluster (eks larkspur-prod, eu-west-1).")
	for i, ns := range namespaces {
		if i > 0 {
			d.l("---")
		}
		d.l("apiVersion: v1")
		d.l("kind: Namespace")
		d.l("metadata:")
		d.mark("ns/"+ns.Name, d.l("  name: %s", ns.Name), "Namespace "+ns.Name)
		d.l("  labels:")
		if ns.App != "" {
			ln := d.l("    app.kubernetes.io/part-of: %s", ns.App)
			d.mark("app/"+ns.App, ln, "Namespace "+ns.Name+" label app.kubernetes.io/part-of")
			for _, a := range applications {
				if a.Name == ns.App {
					d.mark("crit/"+ns.App, d.l("    larkspur.example/criticality: %s", a.Criticality), "Namespace "+ns.Name+" label larkspur.example/criticality")
				}
			}
		}
		ln := d.l("    larkspur.example/team: %s", ns.Team)
		d.mark("team/"+ns.Team, ln, "Namespace "+ns.Name+" label larkspur.example/team")
		if ns.App != "" {
			d.mark("appteam/"+ns.App, ln, "Namespace "+ns.Name+" label larkspur.example/team")
		}
	}
	d.done()
}

func (r *rendering) renderGateways() {
	d := r.doc("k8s/prod/ingress/public-lb.yaml", "k8s")
	d.l("# The one public entry point: an internet-facing AWS NLB in front of the")
	d.l("# ingress-nginx and Kong controllers (installed from their Helm charts).")
	d.l("apiVersion: v1")
	d.l("kind: Service")
	d.l("metadata:")
	d.mark("gw/public-lb", d.l("  name: public-lb"), "Service public-lb (type LoadBalancer)")
	d.l("  namespace: ingress")
	d.l("  annotations:")
	d.l("    service.beta.kubernetes.io/aws-load-balancer-type: nlb")
	d.mark("internet/public-lb", d.l("    service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing"), "aws-load-balancer-scheme: internet-facing")
	d.l("spec:")
	d.l("  type: LoadBalancer")
	d.l("  selector:")
	d.l("    app.kubernetes.io/part-of: edge")
	d.l("  ports:")
	d.l("    - name: https")
	d.l("      port: 443")
	d.l("      targetPort: 8443")
	d.done()

	d = r.doc("k8s/prod/ingress/classes.yaml", "k8s")
	d.l("# Ingress classes served behind public-lb.")
	for i, gw := range gateways {
		if gw.Class == "" {
			continue
		}
		if i > 1 {
			d.l("---")
		}
		ctrl := "k8s.io/ingress-nginx"
		if gw.Class == "kong" {
			ctrl = "ingress-controllers.konghq.com/kong"
		}
		d.l("apiVersion: networking.k8s.io/v1")
		d.l("kind: IngressClass")
		d.l("metadata:")
		d.mark("class/"+gw.Name, d.l("  name: %s", gw.Class), "IngressClass "+gw.Class+" behind public-lb")
		d.l("  annotations:")
		d.l("    larkspur.example/load-balancer: public-lb")
		d.l("spec:")
		d.l("  controller: %s", ctrl)
	}
	d.done()

	// One Ingress per gateway and namespace: an Ingress can only route to
	// Services of its own namespace.
	for _, ns := range namespaces {
		var d *doc
		for _, gw := range gateways {
			var rules []rule
			for _, ru := range gw.Rules {
				if ru.Namespace == ns.Name {
					rules = append(rules, ru)
				}
			}
			if len(rules) == 0 {
				continue
			}
			if d == nil {
				d = r.doc("k8s/prod/"+ns.Name+"/ingress.yaml", "k8s")
			} else {
				d.l("---")
			}
			d.l("apiVersion: networking.k8s.io/v1")
			d.l("kind: Ingress")
			d.l("metadata:")
			d.mark("gw/"+gw.Name, d.l("  name: %s", gw.Name), "Ingress "+gw.Name)
			d.l("  namespace: %s", ns.Name)
			if gw.Class == "kong" {
				d.l("  annotations:")
				d.l("    konghq.com/strip-path: \"false\"")
				d.l("    konghq.com/protocols: https")
			}
			d.l("spec:")
			d.l("  ingressClassName: %s", gw.Class)
			d.l("  rules:")
			for _, ru := range rules {
				d.l("    - host: %s", ru.Host)
				d.l("      http:")
				d.l("        paths:")
				ln := d.l("          - path: %s", ru.Prefix)
				d.mark("rule/"+gw.Name+"/"+ru.Host+ru.Prefix, ln, fmt.Sprintf("Ingress %s: %s%s → %s", gw.Name, ru.Host, ru.Prefix, ru.Service))
				d.l("            pathType: Prefix")
				d.l("            backend:")
				d.l("              service:")
				d.l("                name: %s", ru.Service)
				d.l("                port:")
				d.l("                  name: http")
			}
		}
		if d != nil {
			d.done()
		}
	}
}

func partOf(cb *codebase) (label, annotation string) {
	if len(cb.Apps) == 1 {
		return cb.Apps[0], ""
	}
	return cb.Apps[0], strings.Join(cb.Apps, ",")
}

func (r *rendering) renderK8s(dp *deployment) {
	cb := codebaseByName(dp.Name)
	d := r.doc("k8s/prod/"+dp.Namespace+"/"+dp.Name+".yaml", "k8s")
	key := "svc/" + prod + "/" + dp.Name
	d.l("# %s: %s", cb.Name, cb.Title)
	d.l("apiVersion: v1")
	d.l("kind: ServiceAccount")
	d.l("metadata:")
	d.mark("sa/"+dp.Name, d.l("  name: %s", dp.Name), "ServiceAccount "+dp.Namespace+"/"+dp.Name)
	d.l("  namespace: %s", dp.Namespace)
	for _, ir := range iamRoles {
		if ir.Service == dp.Name {
			d.l("  annotations:")
			d.mark("role/"+dp.Name, d.l("    eks.amazonaws.com/role-arn: %s", roleARN(ir.Role)), "IRSA role of ServiceAccount "+dp.Namespace+"/"+dp.Name)
		}
	}
	d.l("---")
	d.l("apiVersion: apps/v1")
	d.l("kind: Deployment")
	d.l("metadata:")
	d.mark(key, d.l("  name: %s", dp.Name), "Deployment "+dp.Namespace+"/"+dp.Name)
	d.l("  namespace: %s", dp.Namespace)
	app, apps := partOf(cb)
	d.l("  labels:")
	d.l("    app.kubernetes.io/name: %s", dp.Name)
	d.mark("partof/"+key+"/"+app, d.l("    app.kubernetes.io/part-of: %s", app), "label app.kubernetes.io/part-of")
	d.l("    app.kubernetes.io/version: %s", q(dp.tag()))
	d.mark("owner/"+key, d.l("    larkspur.example/team: %s", cb.Team), "label larkspur.example/team")
	if apps != "" {
		d.l("  annotations:")
		ln := d.l("    larkspur.example/applications: %s", apps)
		for _, a := range cb.Apps {
			d.mark("partof/"+key+"/"+a, ln, "annotation larkspur.example/applications")
		}
	}
	d.l("spec:")
	d.l("  replicas: %d", dp.Replicas)
	d.l("  selector:")
	d.l("    matchLabels:")
	d.l("      app.kubernetes.io/name: %s", dp.Name)
	d.l("  template:")
	d.l("    metadata:")
	d.l("      labels:")
	d.l("        app.kubernetes.io/name: %s", dp.Name)
	d.l("        app.kubernetes.io/part-of: %s", app)
	d.l("    spec:")
	d.mark("runsas/"+key, d.l("      serviceAccountName: %s", dp.Name), "serviceAccountName")
	d.l("      containers:")
	d.l("        - name: %s", dp.Name)
	d.mark("image/"+key, d.l("          image: %s", dp.image()), "container image")
	d.l("          ports:")
	d.l("            - name: http")
	d.l("              containerPort: %d", cb.Port)
	var envs []string
	for _, dep := range cb.Deps {
		if _, ok := resolve(dp, dep); ok {
			envs = append(envs, dep.Env)
		}
	}
	if len(envs) > 0 {
		d.l("          env:")
		for _, dep := range cb.Deps {
			rv, ok := resolve(dp, dep)
			if !ok {
				continue
			}
			d.l("            - name: %s", dep.Env)
			d.mark("dep/"+key+"/"+dep.Env, d.l("              value: %s", q(rv.Value)), "env "+dep.Env)
			if dep.Secret != "" {
				d.mark("secret/"+key+"/"+dep.Secret, d.l("            - name: %s", secretEnv(dep)), "secret "+dep.Secret+" by reference")
				d.l("              valueFrom:")
				d.l("                secretKeyRef:")
				d.l("                  name: %s", dep.Secret)
				if dep.Store != "" {
					d.l("                  key: password")
				} else {
					d.l("                  key: api-key")
				}
			}
		}
	}
	d.l("          resources:")
	d.l("            requests:")
	d.l("              cpu: 100m")
	d.l("              memory: 256Mi")
	d.l("            limits:")
	d.l("              memory: 512Mi")
	if dp.Name != "refund-worker" {
		d.l("          securityContext:")
		d.l("            runAsNonRoot: true")
		d.l("            allowPrivilegeEscalation: false")
		d.l("            readOnlyRootFilesystem: true")
	}
	if len(cb.Ops) > 0 {
		d.l("---")
		d.l("apiVersion: v1")
		d.l("kind: Service")
		d.l("metadata:")
		d.mark("k8ssvc/"+key, d.l("  name: %s", dp.Name), "Service "+dp.Namespace+"/"+dp.Name)
		d.l("  namespace: %s", dp.Namespace)
		d.l("spec:")
		d.l("  type: ClusterIP")
		d.l("  selector:")
		d.l("    app.kubernetes.io/name: %s", dp.Name)
		d.l("  ports:")
		d.l("    - name: http")
		d.l("      port: %d", cb.Port)
		d.l("      targetPort: http")
	}
	d.done()
}

func roleARN(role string) string { return "arn:aws:iam::" + awsAcct + ":role/" + role }

func (r *rendering) renderNetworkPolicies() {
	byNS := map[string]*doc{}
	for _, np := range networkPolicies {
		d := byNS[np.Namespace]
		if d == nil {
			d = r.doc("k8s/prod/"+np.Namespace+"/networkpolicy.yaml", "k8s")
			byNS[np.Namespace] = d
		} else {
			d.l("---")
		}
		d.l("apiVersion: networking.k8s.io/v1")
		d.l("kind: NetworkPolicy")
		d.l("metadata:")
		ln := d.l("  name: %s", np.Name)
		d.l("  namespace: %s", np.Namespace)
		d.l("spec:")
		d.l("  podSelector:")
		d.l("    matchExpressions:")
		d.l("      - key: app.kubernetes.io/name")
		d.l("        operator: In")
		d.l("        values: [%s]", strings.Join(np.Services, ", "))
		for _, s := range np.Services {
			d.mark("netpol/"+s+"/"+np.Name, ln, "NetworkPolicy "+np.Namespace+"/"+np.Name)
		}
		d.l("  policyTypes: [Ingress]")
		d.l("  ingress:")
		d.l("    - from:")
		for _, f := range np.FromNamespaces {
			d.l("        - namespaceSelector:")
			d.l("            matchLabels:")
			d.l("              kubernetes.io/metadata.name: %s", f)
		}
	}
	for _, np := range networkPolicies {
		if d := byNS[np.Namespace]; d != nil {
			d.done()
			delete(byNS, np.Namespace)
		}
	}
}

func (r *rendering) renderCompose() {
	env := r.doc("compose/staging/.env", "compose")
	env.l("# Interpolated into docker-compose.yaml by docker compose.")
	env.l("REGISTRY=%s", registry)
	env.l("COMPOSE_PROJECT_NAME=larkspur-staging")
	env.done()

	d := r.doc("compose/staging/docker-compose.yaml", "compose")
	d.l("# Larkspur staging: one VM (%s, public IP), deployed with docker compose.", stagingVM)
	d.l("# Ports published without a host IP bind to all interfaces and are reachable")
	d.l("# from the internet.")
	d.l("name: larkspur-staging")
	d.l("")
	d.l("services:")
	var secrets []string
	for i := range deployments {
		dp := &deployments[i]
		if dp.Env != staging {
			continue
		}
		cb := codebaseByName(dp.Name)
		key := "svc/" + staging + "/" + dp.Name
		d.mark(key, d.l("  %s:", dp.Name), "compose service "+dp.Name)
		d.mark("image/"+key, d.l("    image: %s", dp.imageWritten()), "image")
		if dp.Published != "" {
			d.l("    ports:")
			d.mark("published/"+key, d.l("      - %s", q(dp.Published)), "published port "+dp.Published)
		}
		var deps []string
		var envLines []func()
		var svcSecrets []string
		for _, dep := range cb.Deps {
			rv, ok := resolve(dp, dep)
			if !ok {
				continue
			}
			if rv.Svc != "" {
				deps = append(deps, rv.Svc)
			} else if rv.Store != "" {
				deps = append(deps, rv.Store)
			}
			envLines = append(envLines, func() {
				d.mark("dep/"+key+"/"+dep.Env, d.l("      %s: %s", dep.Env, q(rv.Value)), "environment "+dep.Env)
				if dep.Secret != "" && rv.Svc == "" {
					d.mark("secret/"+key+"/"+dep.Secret, d.l("      %s_FILE: /run/secrets/%s", secretEnv(dep), dep.Secret), "secret "+dep.Secret+" by reference")
					svcSecrets = append(svcSecrets, dep.Secret)
				}
			})
		}
		if len(envLines) > 0 {
			d.l("    environment:")
			for _, f := range envLines {
				f()
			}
		}
		if len(svcSecrets) > 0 {
			d.l("    secrets:")
			for _, s := range svcSecrets {
				d.l("      - %s", s)
				if !slices.Contains(secrets, s) {
					secrets = append(secrets, s)
				}
			}
		}
		slices.Sort(deps)
		deps = slices.Compact(deps)
		if len(deps) > 0 {
			d.l("    depends_on:")
			for _, x := range deps {
				d.l("      - %s", x)
			}
		}
		d.l("    labels:")
		app, apps := partOf(cb)
		d.mark("partof/"+key+"/"+app, d.l("      app.kubernetes.io/part-of: %s", app), "label app.kubernetes.io/part-of")
		if apps != "" {
			ln := d.l("      larkspur.example/applications: %s", q(apps))
			for _, a := range cb.Apps {
				d.mark("partof/"+key+"/"+a, ln, "label larkspur.example/applications")
			}
		}
		d.mark("owner/"+key, d.l("      larkspur.example/team: %s", cb.Team), "label larkspur.example/team")
		d.l("    restart: unless-stopped")
		d.l("")
	}
	for i := range stores {
		s := &stores[i]
		if s.Env != staging {
			continue
		}
		key := "store/" + staging + "/" + s.Name
		d.mark(key, d.l("  %s:", s.Name), "compose service "+s.Name+" ("+s.Image+")")
		d.l("    image: %s", s.Image)
		d.l("    ports:")
		d.mark("published/"+key, d.l("      - %s", q(s.Published)), "published port "+s.Published)
		if s.Engine == "postgresql" {
			d.l("    environment:")
			d.l("      POSTGRES_DB: %s", s.Database)
			d.l("      POSTGRES_PASSWORD_FILE: /run/secrets/shop-db-admin")
			d.l("    secrets:")
			d.l("      - shop-db-admin")
			d.l("    volumes:")
			d.l("      - shop-db-data:/var/lib/postgresql/data")
			secrets = append(secrets, "shop-db-admin")
		}
		d.l("    restart: unless-stopped")
		d.l("")
	}
	d.l("volumes:")
	d.l("  shop-db-data: {}")
	d.l("")
	d.l("secrets:")
	slices.Sort(secrets)
	for _, s := range secrets {
		d.l("  %s:", s)
		d.l("    file: ./secrets/%s.txt", s)
	}
	d.done()
}

// Luhn-valid test card numbers and other example values, so that a
// classifier reading examples sees realistic data.
var examples = map[string]string{
	"email": "jane.doe@example.com", "cardnumber": "4242424242424242", "cvv": "123",
	"expirymonth": "12", "expiryyear": "2028", "phone": "+44 20 7946 0958",
	"dateofbirth": "1984-03-02", "iban": "GB82WEST12345698765432", "icd10code": "E11.9",
	"ssn": "078-05-1120",
}

var formats = map[string]string{
	"email": "email", "dateofbirth": "date", "startsat": "date-time", "endsat": "date-time",
	"notedat": "date-time", "collectedat": "date-time", "expiresat": "date-time",
	"url": "uri", "imageurl": "uri", "password": "password", "ipaddress": "ipv4",
}

func fieldSchema(name string) (typ, format, example string) {
	n := normName(name)
	typ = "string"
	switch {
	case n == "items" || n == "suggestions" || n == "keys" || n == "medications" || n == "allergies" || n == "labresults":
		typ = "array"
	case n == "variables" || n == "data":
		typ = "object"
	case n == "quantity" || n == "stock" || n == "expiresin":
		typ = "integer"
	case strings.Contains(n, "amount") || strings.Contains(n, "price") || n == "total" || n == "subtotal" ||
		n == "tax" || n == "shipping" || n == "balance" || n == "score":
		typ = "number"
	}
	return typ, formats[n], examples[n]
}

func (r *rendering) renderSpec(cb *codebase) {
	d := r.doc("openapi/"+cb.Name+".yaml", "openapi")
	d.l("openapi: 3.0.3")
	d.l("info:")
	d.mark("spec/"+cb.Name, d.l("  title: %s", cb.Name), "OpenAPI spec of "+cb.Name)
	d.l("  version: %s", q(cb.Version))
	d.l("  description: %s", q(cb.Title))
	d.l("servers:")
	if dp := deployed(prod, cb.Name); dp != nil {
		d.l("  - url: http://%s.%s.svc.cluster.local:%d", cb.Name, dp.Namespace, cb.Port)
		d.l("    description: prod (in-cluster)")
	}
	if deployed(staging, cb.Name) != nil {
		d.l("  - url: http://%s:%d", cb.Name, cb.Port)
		d.l("    description: staging (compose network)")
	}
	d.l("security:")
	d.l("  - bearerAuth: []")
	d.l("paths:")
	var paths []string
	for _, o := range cb.Ops {
		if !slices.Contains(paths, o.Path) {
			paths = append(paths, o.Path)
		}
	}
	type schema struct {
		name   string
		fields []string
	}
	var schemas []schema
	for _, p := range paths {
		d.l("  %s:", p)
		for _, o := range cb.Ops {
			if o.Path != p {
				continue
			}
			d.mark("api/"+cb.Name+"/"+o.Method+" "+o.Path, d.l("    %s:", strings.ToLower(o.Method)), "operation "+o.ID)
			d.l("      operationId: %s", o.ID)
			d.l("      summary: %s", q(o.Summary))
			if o.Public {
				d.l("      security: []")
			}
			var params [][2]string
			for _, seg := range strings.Split(o.Path, "/") {
				if strings.HasPrefix(seg, "{") {
					params = append(params, [2]string{"path", strings.Trim(seg, "{}")})
				}
			}
			for _, qp := range o.Query {
				params = append(params, [2]string{"query", qp})
			}
			if len(params) > 0 {
				d.l("      parameters:")
				for _, pr := range params {
					d.l("        - name: %s", pr[1])
					d.l("          in: %s", pr[0])
					d.l("          required: %t", pr[0] == "path")
					typ, format, _ := fieldSchema(pr[1])
					d.l("          schema:")
					d.l("            type: %s", typ)
					if format != "" {
						d.l("            format: %s", format)
					}
				}
			}
			title := strings.ToUpper(o.ID[:1]) + o.ID[1:]
			if len(o.Req) > 0 {
				schemas = append(schemas, schema{title + "Request", o.Req})
				d.l("      requestBody:")
				d.l("        required: true")
				d.l("        content:")
				d.l("          application/json:")
				d.l("            schema:")
				d.l("              $ref: '#/components/schemas/%sRequest'", title)
			}
			d.l("      responses:")
			code := "200"
			switch {
			case o.Method == "POST" && len(o.Resp) > 0 && !o.Public:
				code = "201"
			case len(o.Resp) == 0:
				code = "204"
			}
			if len(o.Resp) == 0 && o.Method == "GET" {
				code = "200"
			}
			d.l("        '%s':", code)
			d.l("          description: OK")
			if len(o.Resp) > 0 {
				schemas = append(schemas, schema{title + "Response", o.Resp})
				d.l("          content:")
				d.l("            application/json:")
				d.l("              schema:")
				d.l("                $ref: '#/components/schemas/%sResponse'", title)
			} else if o.Method == "GET" {
				d.l("          content:")
				d.l("            text/html:")
				d.l("              schema:")
				d.l("                type: string")
			}
			if !o.Public {
				d.l("        '401':")
				d.l("          description: Missing or invalid bearer token")
			}
		}
	}
	d.l("components:")
	d.l("  securitySchemes:")
	d.l("    bearerAuth:")
	d.l("      type: http")
	d.l("      scheme: bearer")
	d.l("      bearerFormat: JWT")
	d.l("  schemas:")
	for _, s := range schemas {
		d.l("    %s:", s.name)
		d.l("      type: object")
		d.l("      properties:")
		for _, f := range s.fields {
			typ, format, example := fieldSchema(f)
			d.l("        %s:", f)
			d.l("          type: %s", typ)
			switch typ {
			case "array":
				d.l("          items:")
				d.l("            type: object")
			case "object":
				d.l("          additionalProperties: true")
			}
			if format != "" {
				d.l("          format: %s", format)
			}
			if example != "" {
				d.l("          example: %s", q(example))
			}
		}
	}
	d.done()
}

// purl parts.
type purlParts struct{ Type, Namespace, Name, Version string }

func parsePurl(p string) purlParts {
	rest := strings.TrimPrefix(p, "pkg:")
	typ, rest, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(rest, "@")
	nameFull, ver := rest[:at], rest[at+1:]
	ns, name := "", nameFull
	if i := strings.LastIndex(nameFull, "/"); i >= 0 {
		ns, name = nameFull[:i], nameFull[i+1:]
	}
	return purlParts{typ, ns, name, ver}
}

// displayName is the package name as its ecosystem writes it.
func (p purlParts) displayName() string {
	switch {
	case p.Namespace == "":
		return p.Name
	case p.Type == "maven":
		return p.Namespace + ":" + p.Name
	}
	return p.Namespace + "/" + p.Name
}

func pkgByPurl(p string) *pkg {
	for i := range packages {
		if packages[i].Purl == p {
			return &packages[i]
		}
	}
	panic("demo: unknown package " + p)
}

// closure lists the direct packages and everything they depend on, in
// depth-first order without repeats.
func closure(direct []string) []string {
	var out []string
	var visit func(string)
	visit = func(p string) {
		if slices.Contains(out, p) {
			return
		}
		out = append(out, p)
		for _, d := range pkgByPurl(p).Deps {
			visit(d)
		}
	}
	for _, p := range direct {
		visit(p)
	}
	return out
}

type cdxLicense struct {
	License struct {
		ID string `json:"id"`
	} `json:"license"`
}

type cdxComponent struct {
	Type     string       `json:"type"`
	BOMRef   string       `json:"bom-ref"`
	Group    string       `json:"group,omitempty"`
	Name     string       `json:"name"`
	Version  string       `json:"version"`
	Purl     string       `json:"purl,omitempty"`
	Licenses []cdxLicense `json:"licenses,omitempty"`
	ExtRefs  []cdxExtRef  `json:"externalReferences,omitempty"`
}

type cdxExtRef struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type cdxDependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

type cdxBOM struct {
	BOMFormat    string `json:"bomFormat"`
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Version      int    `json:"version"`
	Metadata     struct {
		Timestamp string       `json:"timestamp"`
		Component cdxComponent `json:"component"`
	} `json:"metadata"`
	Components   []cdxComponent  `json:"components"`
	Dependencies []cdxDependency `json:"dependencies"`
}

func uuidFor(s string) string {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

func (r *rendering) renderSBOM(cb *codebase) {
	var b cdxBOM
	b.BOMFormat, b.SpecVersion, b.Version = "CycloneDX", "1.5", 1
	b.SerialNumber = "urn:uuid:" + uuidFor("sbom/"+cb.Name)
	b.Metadata.Timestamp = ObservedAt.Format("2006-01-02T15:04:05Z")
	appRef := "app:" + cb.Name
	b.Metadata.Component = cdxComponent{Type: "application", BOMRef: appRef, Name: cb.Name, Version: cb.Version,
		ExtRefs: []cdxExtRef{{Type: "vcs", URL: "https://" + repoURL(cb)}}}
	all := closure(cb.Pkgs)
	b.Dependencies = append(b.Dependencies, cdxDependency{Ref: appRef, DependsOn: cb.Pkgs})
	for _, p := range all {
		pp := parsePurl(p)
		c := cdxComponent{Type: "library", BOMRef: p, Name: pp.Name, Version: pp.Version, Purl: p}
		if pp.Type == "maven" {
			c.Group = pp.Namespace
		} else if pp.Namespace != "" {
			c.Name = pp.Namespace + "/" + pp.Name
		}
		for _, l := range pkgByPurl(p).Licenses {
			var cl cdxLicense
			cl.License.ID = l
			c.Licenses = append(c.Licenses, cl)
		}
		b.Components = append(b.Components, c)
		deps := pkgByPurl(p).Deps
		if deps == nil {
			deps = []string{}
		}
		b.Dependencies = append(b.Dependencies, cdxDependency{Ref: p, DependsOn: deps})
	}
	mark := r.jsonDoc("sbom/"+cb.Name+".cdx.json", "sbom", b)
	mark("repo/"+cb.Name, `"url": "https://`+repoURL(cb)+`"`, "metadata.component vcs reference")
	mark("deps/"+cb.Name, `"ref": "`+appRef+`"`, "direct dependencies of "+cb.Name)
	for _, p := range all {
		mark("pkg/"+cb.Name+"/"+p, `"bom-ref": "`+p+`"`, "component "+p)
		mark("pkgdeps/"+cb.Name+"/"+p, `"ref": "`+p+`"`, "dependencies of "+p)
	}
}

func (r *rendering) renderDDL(s *store) {
	d := r.doc("sql/"+s.Env+"/"+s.Name+".sql", "sql")
	d.l("-- Schema of %s (%s, %s).", s.Name, s.Engine, s.Env)
	for i, t := range s.Tables {
		d.l("")
		ln := d.l("CREATE TABLE %s (", t.Name)
		if i == 0 {
			d.mark("ddl/"+s.Env+"/"+s.Name, ln, "CREATE TABLE "+t.Name)
		}
		for j, c := range t.Columns {
			sep := ","
			if j == len(t.Columns)-1 {
				sep = ""
			}
			d.l("    %s %s%s", c, sqlType(c), sep)
		}
		d.l(");")
	}
	d.done()
}

func sqlType(col string) string {
	switch {
	case col == "id":
		return "uuid PRIMARY KEY"
	case strings.HasSuffix(col, "_id"):
		return "uuid NOT NULL"
	case strings.HasSuffix(col, "_at"):
		return "timestamptz NOT NULL DEFAULT now()"
	case col == "date_of_birth":
		return "date"
	case strings.Contains(col, "amount") || strings.Contains(col, "price"):
		return "numeric(12,2) NOT NULL"
	case col == "quantity" || col == "stock" || strings.HasPrefix(col, "expiry_"):
		return "integer"
	}
	return "text"
}

// fingerprint is a finding's stable fingerprint.
func (f *finding) fingerprint() string {
	h := sha256.Sum256([]byte(strings.Join([]string{f.Tool, f.Rule, string(f.Target.Kind), f.Target.Env, f.Target.Name, f.Target.Method, f.Target.Path}, "\x1f")))
	return hex.EncodeToString(h[:16])
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver struct {
			Name  string      `json:"name"`
			Rules []sarifRule `json:"rules"`
		} `json:"driver"`
	} `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifRule struct {
	ID               string `json:"id"`
	ShortDescription struct {
		Text string `json:"text"`
	} `json:"shortDescription"`
}

type sarifResult struct {
	RuleID  string `json:"ruleId"`
	Level   string `json:"level"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *struct {
			StartLine int `json:"startLine"`
		} `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

func sarifLevel(sev string) string {
	switch sev {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

func (r *rendering) renderSARIF() {
	var log sarifLog
	log.Schema = "https://json.schemastore.org/sarif-2.1.0.json"
	log.Version = "2.1.0"
	runOf := map[string]int{}
	for i := range findings {
		f := &findings[i]
		ri, ok := runOf[f.Tool]
		if !ok {
			ri = len(log.Runs)
			runOf[f.Tool] = ri
			var run sarifRun
			run.Tool.Driver.Name = f.Tool
			run.Results = []sarifResult{}
			log.Runs = append(log.Runs, run)
		}
		run := &log.Runs[ri]
		var rl sarifRule
		rl.ID = f.Rule
		rl.ShortDescription.Text = f.Title
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rl)
		var res sarifResult
		res.RuleID, res.Level = f.Rule, sarifLevel(f.Severity)
		res.Message.Text = f.Message
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = f.Location
		line := f.LocationLine
		if line == 0 && strings.HasPrefix(f.Location, Root+"/") {
			line = r.findingLine(f)
		}
		if line > 0 {
			loc.PhysicalLocation.Region = &struct {
				StartLine int `json:"startLine"`
			}{line}
		}
		res.Locations = []sarifLocation{loc}
		res.PartialFingerprints = map[string]string{"riskgraph/v1": f.fingerprint()}
		t := map[string]any{"kind": string(f.Target.Kind), "name": f.Target.Name}
		if f.Target.Env != "" {
			t["env"] = f.Target.Env
		}
		if f.Target.Method != "" {
			t["method"], t["path"] = f.Target.Method, f.Target.Path
		}
		res.Properties = map[string]any{"severity": f.Severity, "target": t}
		if f.Vulnerability != "" {
			res.Properties["vulnerability"] = f.Vulnerability
		}
		run.Results = append(run.Results, res)
	}
	mark := r.jsonDoc("findings/scan.sarif", "sarif", log)
	for i := range findings {
		f := &findings[i]
		mark("finding/"+f.fingerprint(), `"riskgraph/v1": "`+f.fingerprint()+`"`, f.Tool+" "+f.Rule)
	}
}

// findingLine is the line in the estate's own artifacts a config finding
// points at (rendered before the SARIF file).
func (r *rendering) findingLine(f *finding) int {
	var key string
	switch f.Target.Kind {
	case graph.Service:
		key = "svc/" + f.Target.Env + "/" + f.Target.Name
	case graph.DataStore:
		key = "published/store/" + f.Target.Env + "/" + f.Target.Name
	}
	if s, ok := r.at[key]; ok && path.Clean(s.File) == path.Clean(f.Location) {
		return s.Line
	}
	return 0
}

func itoa(i int) string { return strconv.Itoa(i) }

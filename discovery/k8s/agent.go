// Package k8s discovers services, gateways, calls, data stores and
// identities from Kubernetes manifests, Helm charts (rendered in-process)
// and Kustomize overlays (built in-process).
//
// Reading is in two steps. The agents parse each document with the
// Kubernetes API types and record what they found as facts (a workload, a
// Service and its selector, an Ingress rule, a ConfigMap's keys); nothing
// in one file can say what a host name in an env var refers to. The
// Resolver linker then turns all facts into nodes and edges, so that a
// Deployment's CART_ADDR=cart:7070 finds the Service named cart wherever it
// was defined, and the same workload seen as a plain manifest, in an
// overlay and in a chart becomes one service with three pieces of evidence.
//
// A workload's dependencies are read from its environment (literals,
// ConfigMaps, and the addresses connection strings in Secrets name, never
// their credentials) and from its command-line flags; an ExternalName
// Service leads to the outside name it stands for, and a host the estate's
// own gateways serve is not a third party. A Service selects the workloads
// of its own rendering first. Unreadable documents are reported one by one;
// a chart's test hooks are not part of the release and are skipped.
package k8s

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// Name is the agent name in evidence and reports.
const Name = "k8s"

// Agent reads plain manifest files.
type Agent struct{}

func (Agent) Name() string { return Name }

var (
	reAPIVersion = regexp.MustCompile(`(?m)^"?apiVersion"?\s*:\s*\S`)
	reKind       = regexp.MustCompile(`(?m)^"?kind"?\s*:\s*\S`)
	reJSONKind   = regexp.MustCompile(`"apiVersion"\s*:`)
)

// Detect is true for YAML (or JSON) with top-level apiVersion and kind
// that is not a Helm template (those are read rendered, by the chart agent).
func (Agent) Detect(f *discovery.File) bool {
	d := f.Data
	if bytes.Contains(d, []byte("{{")) {
		return false
	}
	if t := bytes.TrimSpace(d); len(t) > 0 && t[0] == '{' {
		return reJSONKind.Match(d) && bytes.Contains(d, []byte(`"kind"`)) && bytes.Contains(d, []byte(`"metadata"`))
	}
	return reAPIVersion.Match(d) && reKind.Match(d)
}

// Read records the facts of every document of f.
func (Agent) Read(ctx context.Context, f *discovery.File, c *discovery.Collector) error {
	return readStream(f.Path, f.Data, "", c)
}

// readStream reads a multi-document YAML stream. file is what evidence
// names; variant says how the stream was produced ("" for a plain file,
// "helm chart X", "kustomize overlay Y").
//
// A document that cannot be read (invalid YAML, a field of the wrong type)
// does not hide the others: its error is recorded and the stream read on.
// Only when no document could be read is the error returned, which
// discards the file.
func readStream(file string, data []byte, variant string, c *discovery.Collector) error {
	var errs []*discovery.FileError
	read := 0
	for _, d := range splitDocs(data) {
		j, ferr := toJSON(file, d)
		if ferr == nil {
			ferr = asFileError(file, d.line, readObject(file, d, j, variant, c))
		}
		if ferr != nil {
			if variant != "" {
				ferr.Msg = fmt.Sprintf("rendered by %s: %s", variant, ferr.Msg)
			}
			errs = append(errs, ferr)
			continue
		}
		read++
	}
	if len(errs) > 0 && read == 0 {
		return errs[0]
	}
	for _, e := range errs {
		c.AddError(e)
	}
	return nil
}

func asFileError(file string, line int, err error) *discovery.FileError {
	if err == nil {
		return nil
	}
	if fe, ok := err.(*discovery.FileError); ok {
		return fe
	}
	return &discovery.FileError{File: file, Line: line, Msg: err.Error(), Err: err}
}

func readObject(file string, d doc, j []byte, variant string, c *discovery.Collector) error {
	if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
		return nil
	}
	var tm typeMeta
	if err := json.Unmarshal(j, &tm); err != nil {
		return &discovery.FileError{File: file, Line: d.line, Msg: "expected a Kubernetes object (a mapping with apiVersion, kind and metadata): " + err.Error(), Err: err}
	}
	if ferr := checkType(file, d.line, tm); ferr != nil {
		return ferr
	}
	if tm.Kind == "List" || strings.HasSuffix(tm.Kind, "List") && tm.APIVersion == "v1" {
		var l list
		if ferr := decode(file, d.line, tm, j, &l); ferr != nil {
			return ferr
		}
		var first error
		read := 0
		for _, it := range l.Items {
			if err := readObject(file, d, it, variant, c); err != nil {
				if first == nil {
					first = err
				} else {
					c.AddError(asFileError(file, d.line, err))
				}
				continue
			}
			read++
		}
		if first != nil && read > 0 {
			c.AddError(asFileError(file, d.line, first))
			return nil
		}
		return first
	}
	if helmTest(tm.Metadata.Annotations["helm.sh/hook"]) {
		// A chart's test Pod (helm test) is run by hand against a release;
		// it is not part of what is deployed, and its name is often random.
		return nil
	}
	if tm.Metadata.Name == "" && recorded[tm.Kind] {
		return &discovery.FileError{File: file, Line: d.line, Msg: fmt.Sprintf("%s %s without metadata.name", tm.APIVersion, tm.Kind)}
	}
	src := graph.Source{Agent: Name, File: file, Line: d.line, Detail: detail(tm, variant)}
	// The variant is part of the key: overlays built from one base file
	// name the same file and line for different objects.
	key := func(kind string) string {
		return fmt.Sprintf("k8s/%s/%s#%d/%s@%s", kind, file, d.line, tm.Metadata.Name, variant)
	}
	g, _ := splitAPIVersion(tm.APIVersion)
	ns := tm.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	switch {
	case tm.Kind == "Deployment" || tm.Kind == "StatefulSet" || tm.Kind == "DaemonSet" || tm.Kind == "ReplicaSet" ||
		tm.Kind == "Job" || tm.Kind == "CronJob" || tm.Kind == "Pod" || tm.Kind == "ReplicationController":
		meta, tmpl, replicas, ok, ferr := podOf(file, d.line, tm, j)
		if ferr != nil {
			return ferr
		}
		if !ok || meta.Name == "" {
			return &discovery.FileError{File: file, Line: d.line, Msg: tm.Kind + " without metadata.name"}
		}
		w := workload{Namespace: ns, Name: meta.Name, Kind: tm.Kind, Labels: meta.Labels, PodLabels: tmpl.Labels,
			Replicas: replicas, Pod: tmpl.Spec, EnvLines: map[string]int{}, Variant: variantKey(file, variant), Src: src}
		for _, ct := range append(append([]corev1.Container{}, tmpl.Spec.InitContainers...), tmpl.Spec.Containers...) {
			for _, e := range ct.Env {
				w.EnvLines[e.Name] = lineOf(d, "name: "+e.Name)
			}
			for _, a := range append(append([]string{}, ct.Command...), ct.Args...) {
				if strings.Contains(a, "=") || strings.Contains(a, "://") {
					if w.ArgLines == nil {
						w.ArgLines = map[string]int{}
					}
					w.ArgLines[a] = lineOf(d, a)
				}
			}
		}
		if len(tmpl.Spec.Containers) > 0 {
			w.Engine = endpoint.EngineOfImage(tmpl.Spec.Containers[0].Image)
			if w.Engine == "" {
				w.Engine = engineOfPorts(meta.Name, tmpl.Spec.Containers[0])
			}
		}
		c.AddFact(Name, key("workload"), w)
	case tm.Kind == "Service" && g == "":
		var o corev1.Service
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		typ := string(o.Spec.Type)
		if typ == "" {
			typ = "ClusterIP"
		}
		c.AddFact(Name, key("service"), service{Namespace: ns, Name: o.Name, Type: typ, ExternalName: o.Spec.ExternalName, Variant: variantKey(file, variant), Selector: o.Spec.Selector,
			Ports: o.Spec.Ports, Annotations: o.Annotations, Src: src})
	case tm.Kind == "Ingress":
		meta, class, rules, ferr := ingressOf(file, d.line, tm, j)
		if ferr != nil {
			return ferr
		}
		if class == "" {
			class = meta.Annotations["kubernetes.io/ingress.class"]
		}
		for i := range rules {
			rules[i].Line = lineOf(d, "path: "+rules[i].Path)
		}
		c.AddFact(Name, key("ingress"), ingress{Namespace: ns, Name: meta.Name, Class: class, Annotations: meta.Annotations, Rules: rules, Src: src})
	case tm.Kind == "IngressClass":
		var o netv1.IngressClass
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		c.AddFact(Name, key("ingressclass"), ingressClass{Name: o.Name, Controller: o.Spec.Controller, Annotations: o.Annotations, Src: src})
	case tm.Kind == "NetworkPolicy":
		var o netv1.NetworkPolicy
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		c.AddFact(Name, key("netpol"), netPolicy{Namespace: ns, Name: o.Name, Spec: o.Spec, Src: src})
	case tm.Kind == "ConfigMap":
		var o corev1.ConfigMap
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		c.AddFact(Name, key("configmap"), configMap{Namespace: ns, Name: o.Name, Variant: variantKey(file, variant), Data: o.Data, Src: src})
	case tm.Kind == "Secret":
		var o corev1.Secret
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		c.AddFact(Name, key("secret"), secret{Namespace: ns, Name: o.Name, Fingerprint: fingerprintSecret(&o), Endpoints: secretEndpoints(&o), Src: src})
	case tm.Kind == "ServiceAccount":
		var o corev1.ServiceAccount
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		c.AddFact(Name, key("serviceaccount"), serviceAccount{Namespace: ns, Name: o.Name, Annotations: o.Annotations, Src: src})
	case tm.Kind == "Gateway" && g == "gateway.networking.k8s.io":
		var o gwGateway
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		gf := gatewayFact{Name: o.Metadata.Name, Type: "gateway", Class: o.Spec.GatewayClassName, Namespace: ns, Public: true, Src: src}
		for _, l := range o.Spec.Listeners {
			if l.Hostname != "" {
				gf.Hosts = appendUniq(gf.Hosts, l.Hostname)
			}
		}
		c.AddFact(Name, key("gateway"), gf)
	case (tm.Kind == "HTTPRoute" || tm.Kind == "GRPCRoute") && g == "gateway.networking.k8s.io":
		var o httpRoute
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		var rs []route
		for _, p := range o.Spec.ParentRefs {
			if p.Kind != "" && p.Kind != "Gateway" {
				continue
			}
			hosts := o.Spec.Hostnames
			if len(hosts) == 0 {
				hosts = []string{""}
			}
			for _, r := range o.Spec.Rules {
				prefixes := []string{}
				for _, m := range r.Matches {
					if m.Path != nil && m.Path.Value != "" && m.Path.Type != "RegularExpression" {
						prefixes = append(prefixes, m.Path.Value)
					}
				}
				if len(prefixes) == 0 {
					prefixes = []string{"/"}
				}
				for _, b := range r.BackendRefs {
					if b.Kind != "" && b.Kind != "Service" {
						continue
					}
					for _, h := range hosts {
						for _, pf := range prefixes {
							rs = append(rs, route{Gateway: p.Name, Namespace: ns, Host: h, Prefix: pf, Service: b.Name, Port: b.Port,
								Src: graph.Source{Agent: Name, File: file, Line: lineOf(d, "name: "+b.Name), Detail: src.Detail}})
						}
					}
				}
			}
		}
		c.AddFact(Name, key("routes"), rs)
	case tm.Kind == "Gateway" && g == "networking.istio.io":
		var o istioGateway
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		gf := gatewayFact{Name: o.Metadata.Name, Type: "istio-gateway", Class: "istio", Namespace: ns, Public: true, Src: src}
		for _, s := range o.Spec.Servers {
			for _, h := range s.Hosts {
				gf.Hosts = appendUniq(gf.Hosts, h)
			}
		}
		c.AddFact(Name, key("gateway"), gf)
	case tm.Kind == "VirtualService" && g == "networking.istio.io":
		var o virtualService
		if ferr := decode(file, d.line, tm, j, &o); ferr != nil {
			return ferr
		}
		var rs []route
		hosts := o.Spec.Hosts
		for _, gw := range o.Spec.Gateways {
			if gw == "mesh" {
				continue // in-mesh routing, not an entry point
			}
			if _, n, ok := strings.Cut(gw, "/"); ok {
				gw = n
			}
			for _, h := range o.Spec.HTTP {
				prefixes := []string{}
				for _, m := range h.Match {
					if m.URI != nil && m.URI.Prefix != "" {
						prefixes = append(prefixes, m.URI.Prefix)
					} else if m.URI != nil && m.URI.Exact != "" {
						prefixes = append(prefixes, m.URI.Exact)
					}
				}
				if len(prefixes) == 0 {
					prefixes = []string{"/"}
				}
				for _, r := range h.Route {
					for _, host := range hosts {
						for _, pf := range prefixes {
							rs = append(rs, route{Gateway: gw, Namespace: ns, Host: host, Prefix: pf, Service: r.Destination.Host,
								Port: r.Destination.Port.Number, Src: graph.Source{Agent: Name, File: file, Line: lineOf(d, "host: "+r.Destination.Host), Detail: src.Detail}})
						}
					}
				}
			}
		}
		c.AddFact(Name, key("routes"), rs)
	}
	return nil
}

// helmTest says whether a helm.sh/hook annotation makes the object a test.
func helmTest(hooks string) bool {
	for _, h := range strings.Split(hooks, ",") {
		switch strings.TrimSpace(h) {
		case "test", "test-success", "test-failure":
			return true
		}
	}
	return false
}

// variantKey groups the objects of one rendering: a chart or an overlay,
// or the directory of a plain manifest, so that a workload takes its
// ConfigMaps from its own variant when several define the same name.
func variantKey(file, variant string) string {
	if variant != "" {
		return variant
	}
	return path.Dir(file)
}

// recorded are the kinds the agent turns into facts; each needs a name.
var recorded = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true,
	"CronJob": true, "Pod": true, "ReplicationController": true, "Service": true, "Ingress": true, "IngressClass": true,
	"NetworkPolicy": true, "ConfigMap": true, "Secret": true, "ServiceAccount": true, "Gateway": true, "HTTPRoute": true,
	"GRPCRoute": true, "VirtualService": true}

func detail(tm typeMeta, variant string) string {
	s := tm.Kind + " " + tm.Metadata.Name
	if tm.Metadata.Namespace != "" {
		s = tm.Kind + " " + tm.Metadata.Namespace + "/" + tm.Metadata.Name
	}
	if variant != "" {
		s += " (" + variant + ")"
	}
	return s
}

// fingerprintSecret hashes a Secret's keys and values (keyed, as every
// fingerprint) so that two workloads sharing a credential can be recognised
// without the value ever being stored.
func fingerprintSecret(s *corev1.Secret) string {
	h := endpoint.NewFingerprintHash()
	var keys []string
	for k := range s.Data {
		keys = append(keys, k)
	}
	for k := range s.StringData {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		if v, ok := s.StringData[k]; ok {
			h.Write([]byte(v))
		} else {
			h.Write(s.Data[k])
		}
		h.Write([]byte{0})
	}
	return endpoint.FingerprintPrefix + hex.EncodeToString(h.Sum(nil))
}

// secretEndpoints parses the addresses a Secret's values name; only
// host, port, scheme and engine are kept, never a credential.
func secretEndpoints(s *corev1.Secret) map[string][]endpoint.Endpoint {
	out := map[string][]endpoint.Endpoint{}
	add := func(k, v string) {
		if endpoint.SecretName(k) {
			return // a password, token or key, not an address
		}
		if eps := endpoint.Parse(k, v); len(eps) > 0 {
			out[k] = eps
		}
	}
	for k, v := range s.Data {
		add(k, string(v))
	}
	for k, v := range s.StringData {
		add(k, v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func appendUniq(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

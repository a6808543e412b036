package k8s

import (
	"encoding/json"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	netv1beta1 "k8s.io/api/networking/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/riskgraph/riskgraph/discovery"
	"github.com/riskgraph/riskgraph/discovery/internal/endpoint"
	"github.com/riskgraph/riskgraph/graph"
)

// The facts the agent records per document; the resolver turns them into
// nodes and edges once every file was read.

type workload struct {
	Namespace, Name, Kind string
	Labels, PodLabels     map[string]string
	Replicas              int64
	Pod                   corev1.PodSpec
	Engine                string         // data-store engine when the workload is a database, cache or queue
	EnvLines              map[string]int // env var name → file line
	ArgLines              map[string]int // command-line argument → file line
	Variant               string         // which rendering it came from (see variantKey)
	Src                   graph.Source
}

type service struct {
	Namespace, Name, Type string
	ExternalName          string // the DNS name an ExternalName Service stands for
	Variant               string // which rendering it came from (see variantKey)
	Selector              map[string]string
	Ports                 []corev1.ServicePort
	Annotations           map[string]string
	Src                   graph.Source
}

type ingressRule struct {
	Host, Path, Service string
	Port                int64
	Line                int
}

type ingress struct {
	Namespace, Name, Class string
	Annotations            map[string]string
	Rules                  []ingressRule
	Src                    graph.Source
}

type ingressClass struct {
	Name, Controller string
	Annotations      map[string]string
	Src              graph.Source
}

type netPolicy struct {
	Namespace, Name string
	Spec            netv1.NetworkPolicySpec
	Src             graph.Source
}

type configMap struct {
	Namespace, Name string
	Variant         string
	Data            map[string]string
	Src             graph.Source
}

type secret struct {
	Namespace, Name string
	Fingerprint     string // keyed hash of the sorted keys and values; the values are never kept
	// Endpoints are the addresses its values name (DATABASE_URL:
	// postgres://user:pw@db:5432/app is host db, port 5432, postgresql),
	// by key; they hold no credential.
	Endpoints map[string][]endpoint.Endpoint
	Src       graph.Source
}

type serviceAccount struct {
	Namespace, Name string
	Annotations     map[string]string
	Src             graph.Source
}

// Gateway API and Istio objects: only the fields routing needs. Their
// upstream Go types live in large modules of their own (Istio's are
// protobuf-generated), so three small structs here cost less than those
// dependency trees.

type gwGateway struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		GatewayClassName string `json:"gatewayClassName"`
		Listeners        []struct {
			Hostname string `json:"hostname"`
			Port     int64  `json:"port"`
			Protocol string `json:"protocol"`
		} `json:"listeners"`
		Addresses []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"addresses"`
	} `json:"spec"`
}

type httpRoute struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		ParentRefs []struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
			Kind      string `json:"kind"`
		} `json:"parentRefs"`
		Hostnames []string `json:"hostnames"`
		Rules     []struct {
			Matches []struct {
				Path *struct {
					Type  string `json:"type"`
					Value string `json:"value"`
				} `json:"path"`
			} `json:"matches"`
			BackendRefs []struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
				Kind      string `json:"kind"`
				Port      int64  `json:"port"`
			} `json:"backendRefs"`
		} `json:"rules"`
	} `json:"spec"`
}

type istioGateway struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Selector map[string]string `json:"selector"`
		Servers  []struct {
			Hosts []string `json:"hosts"`
			Port  struct {
				Number   int64  `json:"number"`
				Protocol string `json:"protocol"`
			} `json:"port"`
		} `json:"servers"`
	} `json:"spec"`
}

type virtualService struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Hosts    []string `json:"hosts"`
		Gateways []string `json:"gateways"`
		HTTP     []struct {
			Match []struct {
				URI *struct {
					Prefix string `json:"prefix"`
					Exact  string `json:"exact"`
					Regex  string `json:"regex"`
				} `json:"uri"`
			} `json:"match"`
			Route []struct {
				Destination struct {
					Host string `json:"host"`
					Port struct {
						Number int64 `json:"number"`
					} `json:"port"`
				} `json:"destination"`
			} `json:"route"`
		} `json:"http"`
	} `json:"spec"`
}

// route is one path routed by a gateway object of any flavour (Ingress,
// HTTPRoute, Istio VirtualService) to a Kubernetes Service name.
type route struct {
	Gateway   string // gateway node name
	Namespace string
	Host      string
	Prefix    string
	Service   string // Service name, or a host such as svc.ns.svc.cluster.local
	Port      int64
	Src       graph.Source
}

// gatewayFact is a gateway node and what puts it on the internet.
type gatewayFact struct {
	Name, Type, Class string
	Namespace         string
	Hosts             []string
	// Front is the LoadBalancer Service or IngressClass-named balancer in
	// front of it; "" means it takes traffic from the Internet itself.
	Front  string
	Public bool
	Src    graph.Source
}

// kinds known per API group; a kind outside them in a known group is a
// typo or a wrong apiVersion and is reported.
var groupKinds = map[string][]string{
	"":                          {"Pod", "Service", "ConfigMap", "Secret", "ServiceAccount", "Namespace", "PersistentVolumeClaim", "PersistentVolume", "Endpoints", "LimitRange", "ResourceQuota", "ReplicationController", "List", "Event", "Node", "PodTemplate", "Binding", "ComponentStatus"},
	"apps":                      {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"},
	"batch":                     {"Job", "CronJob"},
	"networking.k8s.io":         {"Ingress", "IngressClass", "NetworkPolicy", "IPAddress", "ServiceCIDR"},
	"gateway.networking.k8s.io": {"Gateway", "GatewayClass", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", "ReferenceGrant", "BackendTLSPolicy", "ListenerSet"},
}

// groupVersions are the versions each known group served at some point.
var groupVersions = map[string][]string{
	"":                          {"v1"},
	"apps":                      {"v1", "v1beta1", "v1beta2"},
	"batch":                     {"v1", "v1beta1", "v2alpha1"},
	"networking.k8s.io":         {"v1", "v1beta1", "v1alpha1"},
	"gateway.networking.k8s.io": {"v1", "v1beta1", "v1alpha2", "v1alpha3"},
	"networking.istio.io":       {"v1", "v1beta1", "v1alpha3"},
	"extensions":                {"v1beta1"},
}

func splitAPIVersion(av string) (group, version string) {
	if g, v, ok := strings.Cut(av, "/"); ok {
		return g, v
	}
	return "", av
}

// checkType reports a wrong apiVersion or an unknown kind in a known group.
// Kinds of other groups (custom resources) are fine: they are ignored.
func checkType(file string, line int, tm typeMeta) *discovery.FileError {
	if tm.APIVersion == "" || tm.Kind == "" {
		return &discovery.FileError{File: file, Line: line, Msg: "not a Kubernetes object: apiVersion and kind are both required"}
	}
	g, v := splitAPIVersion(tm.APIVersion)
	vers, known := groupVersions[g]
	if !known {
		return nil
	}
	ok := false
	for _, x := range vers {
		if x == v {
			ok = true
		}
	}
	if !ok {
		return &discovery.FileError{File: file, Line: line, Msg: fmt.Sprintf("apiVersion %q: group %q has no version %q (expected one of %s)",
			tm.APIVersion, displayGroup(g), v, strings.Join(vers, ", "))}
	}
	if kinds, ok := groupKinds[g]; ok {
		for _, k := range kinds {
			if k == tm.Kind {
				return nil
			}
		}
		return &discovery.FileError{File: file, Line: line, Msg: fmt.Sprintf("kind %q is not a kind of %s (expected one of %s)",
			tm.Kind, tm.APIVersion, strings.Join(kinds, ", "))}
	}
	return nil
}

func displayGroup(g string) string {
	if g == "" {
		return "core"
	}
	return g
}

// podOf decodes a workload object into its metadata, pod template and
// replica count.
func podOf(file string, line int, tm typeMeta, j []byte) (meta metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, replicas int64, ok bool, ferr *discovery.FileError) {
	replicas = 1
	switch tm.Kind {
	case "Deployment":
		var o appsv1.Deployment
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		if o.Spec.Replicas != nil {
			replicas = int64(*o.Spec.Replicas)
		}
		return o.ObjectMeta, o.Spec.Template, replicas, true, nil
	case "StatefulSet":
		var o appsv1.StatefulSet
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		if o.Spec.Replicas != nil {
			replicas = int64(*o.Spec.Replicas)
		}
		return o.ObjectMeta, o.Spec.Template, replicas, true, nil
	case "DaemonSet":
		var o appsv1.DaemonSet
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		return o.ObjectMeta, o.Spec.Template, replicas, true, nil
	case "ReplicaSet":
		var o appsv1.ReplicaSet
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		if o.Spec.Replicas != nil {
			replicas = int64(*o.Spec.Replicas)
		}
		return o.ObjectMeta, o.Spec.Template, replicas, true, nil
	case "ReplicationController":
		var o corev1.ReplicationController
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		if o.Spec.Replicas != nil {
			replicas = int64(*o.Spec.Replicas)
		}
		if o.Spec.Template != nil {
			tmpl = *o.Spec.Template
		}
		return o.ObjectMeta, tmpl, replicas, true, nil
	case "Job":
		var o batchv1.Job
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		return o.ObjectMeta, o.Spec.Template, replicas, true, nil
	case "CronJob":
		var o batchv1.CronJob
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		return o.ObjectMeta, o.Spec.JobTemplate.Spec.Template, replicas, true, nil
	case "Pod":
		var o corev1.Pod
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		return o.ObjectMeta, corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}, replicas, true, nil
	}
	return
}

// ingressRules decodes an Ingress of either API version into its rules.
func ingressOf(file string, line int, tm typeMeta, j []byte) (meta metav1.ObjectMeta, class string, rules []ingressRule, ferr *discovery.FileError) {
	if g, v := splitAPIVersion(tm.APIVersion); g == "networking.k8s.io" && v == "v1" {
		var o netv1.Ingress
		if ferr = decode(file, line, tm, j, &o); ferr != nil {
			return
		}
		if o.Spec.IngressClassName != nil {
			class = *o.Spec.IngressClassName
		}
		if b := o.Spec.DefaultBackend; b != nil && b.Service != nil {
			rules = append(rules, ingressRule{Path: "/", Service: b.Service.Name, Port: int64(b.Service.Port.Number)})
		}
		for _, r := range o.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service == nil {
					continue
				}
				rules = append(rules, ingressRule{Host: r.Host, Path: orSlash(p.Path), Service: p.Backend.Service.Name, Port: int64(p.Backend.Service.Port.Number)})
			}
		}
		return o.ObjectMeta, class, rules, nil
	}
	var o netv1beta1.Ingress // extensions/v1beta1 and networking.k8s.io/v1beta1 share the shape
	if ferr = decode(file, line, tm, j, &o); ferr != nil {
		return
	}
	if o.Spec.IngressClassName != nil {
		class = *o.Spec.IngressClassName
	}
	if b := o.Spec.Backend; b != nil && b.ServiceName != "" {
		rules = append(rules, ingressRule{Path: "/", Service: b.ServiceName, Port: int64(b.ServicePort.IntVal)})
	}
	for _, r := range o.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.ServiceName == "" {
				continue
			}
			rules = append(rules, ingressRule{Host: r.Host, Path: orSlash(p.Path), Service: p.Backend.ServiceName, Port: int64(p.Backend.ServicePort.IntVal)})
		}
	}
	return o.ObjectMeta, class, rules, nil
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// rawJSON is used for List items.
type list struct {
	Items []json.RawMessage `json:"items"`
}

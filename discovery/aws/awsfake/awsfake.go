// Package awsfake is an AWS API endpoint for tests: an httptest.Server that
// the real SDK clients talk to (through BaseEndpoint), answering in each
// service's own wire format from recorded response files. It can throttle
// the first calls of an operation, deny a service, or hang a region, and
// it records every operation it was asked for.
//
// Responses live in DIR/SERVICE/OP[.ARG][.TOKEN].{json,xml}: ARG names the
// resource a per-resource call is about (a role, a bucket, an API id),
// TOKEN is the pagination token of a follow-up page. A region may have its
// own DIR/REGION/SERVICE/… files, which win. A file may start with
// "HTTP <status>" and header lines, then a blank line, then the body.
package awsfake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Server is a fake AWS endpoint.
type Server struct {
	*httptest.Server
	dir string

	mu       sync.Mutex
	ops      []string
	calls    map[string]int
	signers  map[string][]string // access key id → operations it signed
	throttle map[string]int      // "service:Op" → calls to throttle first
	deny     map[string]bool     // service → AccessDenied
	hang     map[string]bool     // region → never answer
}

// New starts a server answering from the response files in dir.
func New(dir string) *Server {
	s := &Server{dir: dir, calls: map[string]int{}, signers: map[string][]string{}, throttle: map[string]int{}, deny: map[string]bool{}, hang: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Throttle makes the first n calls of service:op fail with the service's
// throttling error.
func (s *Server) Throttle(service, op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[service+":"+op] = n
}

// Deny makes every call to service fail with AccessDenied.
func (s *Server) Deny(service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny[service] = true
}

// Hang makes every call signed for region wait until the client gives up.
func (s *Server) Hang(region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang[region] = true
}

// Ops returns every "service:Operation" asked for, in order.
func (s *Server) Ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ops...)
}

// Signers returns, by access key id, the operations signed with it.
func (s *Server) Signers() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for k, v := range s.signers {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Calls returns how often service:op was asked for.
func (s *Server) Calls(service, op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[service+":"+op]
}

// Config returns an SDK config pointed at the server: static credentials,
// region us-east-1.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKEFAKEFAKEFAKE", "fake-secret", ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.Client(),
	}
}

// protocol is a service's wire format.
type protocol int

const (
	restJSON protocol = iota
	restXML
	awsJSON
	ec2Query
	awsQuery
)

var protocols = map[string]protocol{
	"apigateway": restJSON, "apigatewayv2": restJSON, "lambda": restJSON,
	"s3":  restXML,
	"ecs": awsJSON, "dynamodb": awsJSON,
	"ec2":                  ec2Query,
	"elasticloadbalancing": awsQuery, "iam": awsQuery, "rds": awsQuery, "sts": awsQuery,
}

// credScope reads region and service from a SigV4 Authorization header.
var credScope = regexp.MustCompile(`Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// restRoutes name the REST operations by method and path.
var restRoutes = []struct {
	service, method string
	path            *regexp.Regexp
	op              string
}{
	{"apigateway", "GET", regexp.MustCompile(`^/restapis$`), "GetRestApis"},
	{"apigateway", "GET", regexp.MustCompile(`^/restapis/([^/]+)/resources$`), "GetResources"},
	{"apigateway", "GET", regexp.MustCompile(`^/restapis/([^/]+)/authorizers$`), "GetAuthorizers"},
	{"apigateway", "GET", regexp.MustCompile(`^/restapis/([^/]+)/stages$`), "GetStages"},
	{"apigatewayv2", "GET", regexp.MustCompile(`^/v2/apis$`), "GetApis"},
	{"apigatewayv2", "GET", regexp.MustCompile(`^/v2/apis/([^/]+)/routes$`), "GetRoutes"},
	{"apigatewayv2", "GET", regexp.MustCompile(`^/v2/apis/([^/]+)/integrations$`), "GetIntegrations"},
	{"apigatewayv2", "GET", regexp.MustCompile(`^/v2/apis/([^/]+)/authorizers$`), "GetAuthorizers"},
	{"lambda", "GET", regexp.MustCompile(`^/2015-03-31/functions/?$`), "ListFunctions"},
	{"lambda", "GET", regexp.MustCompile(`^/2021-10-31/functions/([^/]+)/url$`), "GetFunctionUrlConfig"},
	{"s3", "GET", regexp.MustCompile(`^/$`), "ListBuckets"},
}

// s3Subresources name the S3 bucket operations by their query flag.
var s3Subresources = []struct{ flag, op string }{
	{"location", "GetBucketLocation"}, {"policy", "GetBucketPolicy"},
	{"publicAccessBlock", "GetPublicAccessBlock"}, {"acl", "GetBucketAcl"},
}

// argParams name the parameters that say which resource a per-resource
// call of the query and JSON protocols is about.
var argParams = map[string][]string{
	"ListRolePolicies": {"RoleName"}, "ListAttachedRolePolicies": {"RoleName"},
	"GetRolePolicy": {"RoleName", "PolicyName"}, "GetPolicy": {"PolicyArn"},
	"GetPolicyVersion":  {"PolicyArn", "VersionId"},
	"DescribeListeners": {"LoadBalancerArn"}, "DescribeTargetHealth": {"TargetGroupArn"},
	"ListServices": {"cluster"}, "DescribeServices": {"cluster"}, "DescribeTaskDefinition": {"taskDefinition"},
}

// tokenParams are the pagination token parameters of every protocol.
var tokenParams = []string{"NextToken", "nextToken", "Marker", "marker", "position", "ExclusiveStartTableName", "continuation-token"}

type request struct {
	key, region, service, op string
	args                     []string
	token                    string
}

func (s *Server) parse(r *http.Request, body []byte) (request, error) {
	m := credScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return request{}, fmt.Errorf("request is not SigV4-signed")
	}
	req := request{key: m[1], region: m[2], service: m[3]}
	if req.service == "apigateway" && strings.HasPrefix(r.URL.Path, "/v2/") {
		req.service = "apigatewayv2"
	}
	switch protocols[req.service] {
	case awsJSON:
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		req.op = op
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		for _, p := range argParams[op] {
			if v, ok := in[p].(string); ok {
				req.args = append(req.args, v)
			}
		}
		for _, p := range tokenParams {
			if v, ok := in[p].(string); ok && v != "" {
				req.token = v
			}
		}
	case ec2Query, awsQuery:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return req, err
		}
		req.op = form.Get("Action")
		for _, p := range argParams[req.op] {
			if v := form.Get(p); v != "" {
				req.args = append(req.args, v)
			}
		}
		for _, p := range tokenParams {
			if v := form.Get(p); v != "" {
				req.token = v
			}
		}
	default:
		q := r.URL.Query()
		for _, p := range tokenParams {
			if v := q.Get(p); v != "" {
				req.token = v
			}
		}
		if req.service == "s3" && r.URL.Path != "/" {
			bucket := strings.Trim(r.URL.Path, "/")
			req.op = r.Method + " " + r.URL.Path
			for _, sr := range s3Subresources {
				if _, ok := q[sr.flag]; ok && r.Method == "GET" {
					req.op = sr.op
				}
			}
			req.args = []string{bucket}
			return req, nil
		}
		req.op = r.Method + " " + r.URL.Path
		for _, rt := range restRoutes {
			if rt.service == req.service && rt.method == r.Method {
				if pm := rt.path.FindStringSubmatch(r.URL.Path); pm != nil {
					req.op = rt.op
					for _, a := range pm[1:] {
						u, _ := url.PathUnescape(a)
						req.args = append(req.args, u)
					}
				}
			}
		}
	}
	if req.op == "" {
		return req, fmt.Errorf("no operation in request")
	}
	return req, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := s.parse(r, body)
	if err != nil {
		http.Error(w, "awsfake: "+err.Error(), http.StatusBadRequest)
		return
	}
	key := req.service + ":" + req.op
	s.mu.Lock()
	s.ops = append(s.ops, key)
	s.signers[req.key] = append(s.signers[req.key], key)
	s.calls[key]++
	n := s.calls[key]
	throttled := n <= s.throttle[key]
	denied := s.deny[req.service]
	hang := s.hang[req.region]
	s.mu.Unlock()
	switch {
	case hang:
		// Until the client gives up (httptest.Server.Close waits for
		// handlers, and this one returns when the request is cancelled).
		<-r.Context().Done()
		return
	case denied:
		s.writeError(w, req, http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("User: arn:aws:iam::123456789012:user/riskgraph is not authorized to perform: %s:%s", req.service, req.op))
		return
	case throttled:
		s.writeError(w, req, 0, "Throttling", "Rate exceeded")
		return
	}
	s.answer(w, req)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileArg turns an argument into a file-name part: an ARN keeps its
// resource part.
func fileArg(a string) string {
	if strings.HasPrefix(a, "arn:") {
		if parts := strings.SplitN(a, ":", 6); len(parts) == 6 {
			a = parts[5]
		}
	}
	return unsafeChars.ReplaceAllString(a, "_")
}

func (s *Server) answer(w http.ResponseWriter, req request) {
	name := req.op
	for _, a := range req.args {
		name += "." + fileArg(a)
	}
	if req.token != "" {
		name += "." + fileArg(req.token)
	}
	var data []byte
	var err error
	for _, dir := range []string{filepath.Join(s.dir, req.region, req.service), filepath.Join(s.dir, req.service)} {
		for _, ext := range []string{".json", ".xml"} {
			if data, err = os.ReadFile(filepath.Join(dir, name+ext)); err == nil {
				break
			}
		}
		if err == nil {
			break
		}
	}
	if err != nil {
		// A missing file is a fixture bug: fail loudly, with an error the
		// SDK will not retry.
		s.writeError(w, req, http.StatusNotImplemented, "AwsFakeNoResponse", "awsfake: no response file "+req.service+"/"+name)
		return
	}
	status, header, body := splitResponse(data)
	for k, v := range header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", contentType(req.service))
	}
	s.write(w, req, status, body)
}

// write sends the response with the headers every answer of the service
// carries: a request id, and for DynamoDB the CRC32 of the body, which the
// SDK verifies.
func (s *Server) write(w http.ResponseWriter, req request, status int, body []byte) {
	w.Header().Set("X-Amzn-Requestid", "fake-"+req.service+"-"+req.op)
	if req.service == "dynamodb" {
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	}
	w.WriteHeader(status)
	w.Write(body)
}

func contentType(service string) string {
	switch protocols[service] {
	case awsJSON:
		if service == "dynamodb" {
			return "application/x-amz-json-1.0"
		}
		return "application/x-amz-json-1.1"
	case restJSON:
		return "application/json"
	}
	return "text/xml"
}

// splitResponse reads an optional "HTTP <status>" line and headers.
func splitResponse(data []byte) (int, http.Header, []byte) {
	h := http.Header{}
	if !bytes.HasPrefix(data, []byte("HTTP ")) {
		return http.StatusOK, h, data
	}
	rd := bufio.NewReader(bytes.NewReader(data))
	line, _ := rd.ReadString('\n')
	status, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "HTTP ")))
	if err != nil {
		status = http.StatusInternalServerError
	}
	for {
		l, err := rd.ReadString('\n')
		l = strings.TrimRight(l, "\r\n")
		if l == "" || err != nil {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	rest, _ := io.ReadAll(rd)
	return status, h, rest
}

// writeError answers with code in the service's error format. status 0
// picks the service's throttling status and code.
func (s *Server) writeError(w http.ResponseWriter, req request, status int, code, msg string) {
	if status == 0 {
		switch req.service {
		case "ec2":
			status, code = http.StatusServiceUnavailable, "RequestLimitExceeded"
		case "s3":
			status, code = http.StatusServiceUnavailable, "SlowDown"
		case "dynamodb", "ecs":
			status, code = http.StatusBadRequest, "ThrottlingException"
		case "lambda", "apigateway", "apigatewayv2":
			status, code = http.StatusTooManyRequests, "TooManyRequestsException"
		default:
			status = http.StatusBadRequest
		}
	}
	if status == http.StatusForbidden {
		switch req.service {
		case "ec2":
			code = "UnauthorizedOperation"
		case "dynamodb", "ecs", "lambda", "apigateway", "apigatewayv2":
			code = "AccessDeniedException"
		}
	}
	h := w.Header()
	var buf bytes.Buffer
	defer func() { s.write(w, req, status, buf.Bytes()) }()
	switch protocols[req.service] {
	case awsJSON:
		h.Set("Content-Type", contentType(req.service))
		json.NewEncoder(&buf).Encode(map[string]string{"__type": "com.amazonaws." + req.service + "#" + code, "message": msg})
	case restJSON:
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-Errortype", code)
		json.NewEncoder(&buf).Encode(map[string]string{"message": msg, "Message": msg})
	case ec2Query:
		h.Set("Content-Type", "text/xml")
		fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fake</RequestID></Response>`, code, xmlEscape(msg))
	case awsQuery:
		h.Set("Content-Type", "text/xml")
		fmt.Fprintf(&buf, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`, code, xmlEscape(msg))
	default: // S3
		h.Set("Content-Type", "application/xml")
		fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, code, xmlEscape(msg))
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Writes returns the recorded operations that are not Describe*, List*
// or Get* (empty when the client only read).
func (s *Server) Writes() []string {
	var bad []string
	seen := map[string]bool{}
	for _, op := range s.Ops() {
		_, name, _ := strings.Cut(op, ":")
		if !(strings.HasPrefix(name, "Describe") || strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Get")) && !seen[op] {
			seen[op] = true
			bad = append(bad, op)
		}
	}
	sort.Strings(bad)
	return bad
}

package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stackFiles are the stacks the fuzz targets start from.
var stackFiles = []string{filepath.Join("..", "Pulumi.dev.yaml"), filepath.Join("..", "Pulumi.gpu.yaml")}

// FuzzParseConfig sets one key of a real stack to a fuzzed value, as Pulumi passes it
// (text for strings, JSON for objects and lists): an accepted configuration reads
// back the same when written as config values again; a refused one names every bad
// key and what it must be.
func FuzzParseConfig(f *testing.F) {
	stacks := make([]map[string]string, len(stackFiles))
	for i, path := range stackFiles {
		var err error
		stacks[i], err = ReadStackConfig(path)
		require.NoError(f, err)
		for full, value := range stacks[i] {
			if key, ok := strings.CutPrefix(full, Project+":"); ok {
				f.Add(i == 1, key, value)
			}
		}
	}
	for _, kv := range [][2]string{
		{"service", `{"containerPort": "8080", "cpu": 1024.0, "environment": {"A": 1, "B": true}}`}, {"service", `{"containerPort": 1e3}`},
		{"service", `{"containerPort": 2147483648}`}, {"service", `{"containerNmae": "x"}`}, {"service", `[]`}, {"service", `null`}, {"service", `oops`},
		{"tags", `oops`}, {"tags", `{"aws:x": "y"}`}, {"tags", `{"a": {"b": 1}}`}, {"alarms", `{"p99LatencySeconds": "NaN"}`},
		{"alarms", `{"periodSeconds": 0, "evaluationPeriods": 0}`}, {"compute", `{"type": "ec2-gpu", "tasksPerInstance": 0}`},
		{"network", `{"vpcCidr": "10.0.0.0/8", "publicSubnetIds": "subnet-1"}`}, {"loadBalancer", `{"prodProtocol": "HTTPS"}`},
		{"autoscaling", `{"enabled": "yes"}`}, {"image", ""}, {"image", "has space:v1"}, {"deployment", `{"trafficShift": "canary", "shiftPercent": 100}`},
	} {
		f.Add(false, kv[0], kv[1])
	}
	f.Fuzz(func(t *testing.T, gpu bool, key, value string) {
		if !utf8.ValidString(value) {
			t.Skip("Pulumi config values are UTF-8 text")
		}
		stack := stacks[0]
		if gpu {
			stack = stacks[1]
		}
		values := map[string]string{Project + ":" + key: value}
		for k, v := range stack {
			if k != Project+":"+key {
				values[k] = v
			}
		}
		cfg, err := ParseConfig("dev", lookupIn(values))
		if err != nil {
			assertConfigRefusal(t, err)
			return
		}
		assertConfigRoundTrip(t, cfg)
	})
}

// FuzzReadStackConfig reads a fuzzed stack file the way the plan tests and the
// emulator do, then loads it: values are passed as Pulumi passes them (objects and
// lists as JSON), and loading either accepts the stack or names each bad key.
func FuzzReadStackConfig(f *testing.F) {
	for _, path := range stackFiles {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{
		"config:\n  ai-bluegreen:image: repo/model:v1\n  ai-bluegreen:tags: {a: 1, b: [x]}\n",
		"config:\n  ai-bluegreen:image: repo/model:v1\n  ai-bluegreen:service: &s {cpu: 512, memory: 1024}\n  ai-bluegreen:x: *s\n",
		"config:\n  ai-bluegreen:image:\n    secure: AAABAxyz\n", "config:\n  image: ~\n", "config: []", "config:\n  ? [a]\n  : b\n", "", "{", "config: {a: !!binary aGk=}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "Pulumi.fuzz.yaml")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		values, err := ReadStackConfig(path)
		if err != nil {
			assert.Contains(t, err.Error(), path, "the error names the stack file")
			return
		}
		for key, v := range values {
			if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
				assert.True(t, json.Valid([]byte(v)), "%s = %s: objects and lists are passed as JSON", key, v)
			}
			if !utf8.ValidString(v) {
				return // a YAML file is UTF-8: only a !!binary value can decode to other bytes
			}
		}
		cfg, err := ParseConfig("fuzz", lookupIn(values))
		if err != nil {
			assertConfigRefusal(t, err)
			return
		}
		assertConfigRoundTrip(t, cfg)
	})
}

func lookupIn(values map[string]string) func(string) (string, bool) {
	return func(key string) (string, bool) { v, ok := values[key]; return v, ok }
}

// assertConfigRefusal checks that every line of a refusal is
// "ai-bluegreen:<a key the stack may set> = <value>: <what it must be>".
func assertConfigRefusal(t *testing.T, err error) {
	t.Helper()
	known := map[string]bool{}
	for _, k := range ConfigKeys() {
		known[k.Key] = true
	}
	var objects []string
	for _, k := range ProjectConfigKeys() {
		known[k.Key] = true
		objects = append(objects, k.Key)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		rest, ok := strings.CutPrefix(line, Project+":")
		require.True(t, ok, "a refusal line names a config key: %q", line)
		key, _, ok := strings.Cut(rest, " = ")
		require.True(t, ok, "a refusal line shows the value: %q", line)
		unknown := strings.Contains(line, ": unknown key; ")
		base, _, _ := strings.Cut(key, "[")
		group, _, _ := strings.Cut(key, ".")
		switch {
		case unknown:
			assert.Contains(t, objects, group, "an unknown key is reported in its object: %q", line)
		case known[base]:
		default:
			parent := base[:max(0, strings.LastIndex(base, "."))]
			assert.True(t, known[parent] && isMapKey(parent), "a refusal line names a key the stack may set: %q", line)
		}
		assert.True(t, unknown || strings.Contains(line, ": must "), "a refusal line says what the value must be: %q", line)
	}
}

// isMapKey reports whether a dotted key holds a map of names (service.secrets.NAME).
func isMapKey(key string) bool {
	i := slices.IndexFunc(ConfigKeys(), func(k KeyDoc) bool { return k.Key == key })
	return i >= 0 && ConfigKeys()[i].Type == "map of strings"
}

// assertConfigRoundTrip writes an accepted configuration as Pulumi config values
// and reads it again: every key means what it meant.
func assertConfigRoundTrip(t *testing.T, cfg *Config) {
	t.Helper()
	_ = cfg.Notes()
	again, err := ParseConfig(cfg.Stack, lookupIn(configValues(t, cfg)))
	require.NoError(t, err, "an accepted configuration, written as config values, is accepted")
	assert.Equal(t, cfg, again)
}

// configValues writes cfg as Pulumi passes config: strings as text, objects as JSON.
func configValues(t *testing.T, cfg *Config) map[string]string {
	t.Helper()
	out := map[string]string{}
	v := reflect.ValueOf(*cfg)
	for i := 0; i < v.NumField(); i++ {
		key := v.Type().Field(i).Tag.Get("key")
		if key == "" {
			continue
		}
		field := v.Field(i)
		var value any = field.Interface()
		switch field.Kind() {
		case reflect.String:
			out[Project+":"+key] = field.String()
			continue
		case reflect.Struct:
			obj := map[string]any{}
			for j := 0; j < field.NumField(); j++ {
				obj[field.Type().Field(j).Tag.Get("key")] = field.Field(j).Interface()
			}
			value = obj
		}
		b, err := json.Marshal(value)
		require.NoError(t, err)
		out[Project+":"+key] = string(b)
	}
	return out
}

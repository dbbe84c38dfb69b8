package deployer

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseTaskDefinition: a task definition file (RegisterTaskDefinition input, or
// `aws ecs describe-task-definition` output) is accepted only with a family and
// containers, and what is accepted is RegisterTaskDefinition input that reads back
// the same when written as JSON again.
func FuzzParseTaskDefinition(f *testing.F) {
	for _, s := range []string{
		`{"family":"web","containerDefinitions":[{"name":"model","image":"repo/model-server:v1","portMappings":[{"containerPort":8080}]}]}`,
		`{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/web:7","family":"web","revision":7,"status":"ACTIVE",` +
			`"containerDefinitions":[{"name":"model","image":"repo/model-server:v1","environment":[{"name":"A","value":"1"}]}],` +
			`"cpu":"256","memory":"512","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"registeredAt":1700000000.5},` +
			`"tags":[{"key":"team","value":"ml"}]}`,
		`{"taskDefinition":{}}`, `{"family":"web"}`, `{"family":"web","containerDefinitions":[]}`,
		`{"family":"web","containerDefinitions":[{"name":"m"}],"unknown":1}`, `[]`, `null`, ``, `{"taskDefinition":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := parseTaskDefinition(data)
		if err != nil {
			return
		}
		require.NotNil(t, in)
		assert.NotEmpty(t, aws.ToString(in.Family))
		assert.NotEmpty(t, in.ContainerDefinitions)
		again, err := json.Marshal(in)
		require.NoError(t, err)
		back, err := parseTaskDefinition(again)
		require.NoError(t, err, "what was accepted, written as JSON, is accepted: %s", again)
		assert.Equal(t, in, back)
	})
}

// FuzzParseEnvVar: --env NAME=value keeps the value exactly (it may hold '=' and
// anything else) and refuses a name the container could not use, saying why.
func FuzzParseEnvVar(f *testing.F) {
	for _, s := range []string{"MODEL_NAME=churn-classifier", "A=", "A==b", "_X=1=2", "1X=y", "=x", "NOEQUALS", "A B=c", "é=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseEnvVar(s)
		if err != nil {
			assert.Contains(t, err.Error(), strconv.Quote(s))
			assertSaysWhatIsAllowed(t, err.Error())
			return
		}
		assert.Equal(t, s, e.Name+"="+e.Value)
		assert.Regexp(t, `^[A-Za-z_][A-Za-z0-9_]*$`, e.Name)
	})
}

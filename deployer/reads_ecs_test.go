package deployer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadServiceRefusesAServiceABlueGreenDeploymentCannotRelease(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		change  func(*ecstypes.Service)
		wantErr string
	}{
		{"a service on the ECS deployment controller", func(s *ecstypes.Service) {
			s.DeploymentController = &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeEcs}
		}, "service web does not use the CODE_DEPLOY deployment controller"},
		{"a service with both target groups attached", func(s *ecstypes.Service) {
			s.LoadBalancers = append(s.LoadBalancers, s.LoadBalancers[0])
		}, "service web has 2 load balancer entries; blue/green needs exactly one"},
		{"a service routing to another container", func(s *ecstypes.Service) {
			s.LoadBalancers[0].ContainerName = aws.String("sidecar")
		}, "service web routes to container sidecar:8080, not model:8080"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tc.change(&w.service)
			_, err := New(w.clients(), testTarget(), w.options(nil)).readService(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestReadServiceReadsTheLiveTaskDefinitionAndTheGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	st, err := New(w.clients(), testTarget(), w.options(nil)).readService(context.Background())
	require.NoError(t, err)
	assert.Equal(t, liveTD, aws.ToString(st.TaskDef.TaskDefinitionArn))
	assert.Equal(t, prevTD, previousTaskDefinition(st.TaskDefTags))
	assert.Equal(t, "STOP_DEPLOYMENT", st.Group.ReadyAction)
}

// Package action tests the GitHub Action at the repository root (action.yml and the scripts in
// this directory that its steps run): a simulated runner runs the composite action's steps with a
// temporary $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT against ftpspec's own reference server and a
// faulty one, and checks the summary, the outputs and the exit code.
package action

# Runs an azd hook's Python module (infra/scripts/<name>.py) from the project root, with the project's
# virtualenv when there is one, else python with the packages in requirements.txt installed.
$ErrorActionPreference = 'Stop'
$module = $args[0]
$rest = @($args | Select-Object -Skip 1)
$python = Join-Path '.venv' 'Scripts/python.exe'
if (-not (Test-Path $python)) { $python = 'python' }
& $python -m "infra.scripts.$module" @rest
exit $LASTEXITCODE

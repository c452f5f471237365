@echo off
rem Runs the nodepulse agent on Windows with the launcher's JVM options (see ./nodepulse and README
rem "Running on macOS, Windows and the BSDs"). Usage: nodepulse.cmd [agent options]  (nodepulse.cmd --help)
rem
rem  - finds a JDK 21 or newer: %JAVA_HOME%, then the newest under Program Files (Eclipse Adoptium, Java,
rem    Microsoft, Zulu, Amazon Corretto), then java on PATH; the version is read from the JDK's release file;
rem  - builds target\nodepulse.jar with mvnw.cmd when it is missing (needs a JDK);
rem  - samples through OSHI (there is no /proc on Windows): --sampler auto chooses it;
rem  - NODEPULSE_JAVA_OPTS adds JVM options. No AOT cache here (the Linux launcher makes one on JDK 25),
rem    and no -XX:TrimNativeHeapInterval (glibc only).
setlocal EnableExtensions EnableDelayedExpansion
set "HERE=%~dp0"
set "JAR=%HERE%target\nodepulse.jar"
set "JAVA="
set "JHOME="

if defined JAVA_HOME if exist "%JAVA_HOME%\bin\java.exe" set "JHOME=%JAVA_HOME%"
if not defined JHOME (
  for /d %%d in ("%ProgramFiles%\Eclipse Adoptium\jdk-*" "%ProgramFiles%\Java\jdk-*" "%ProgramFiles%\Microsoft\jdk-*" "%ProgramFiles%\Zulu\zulu-*" "%ProgramFiles%\Amazon Corretto\jdk*") do (
    if exist "%%~d\bin\java.exe" call :consider "%%~d"
  )
)
if not defined JHOME (
  for /f "delims=" %%j in ('where java 2^>nul') do if not defined JHOME set "JHOME=%%~dpj.."
)
if not defined JHOME (
  echo nodepulse: no Java 21 or newer found ^(JAVA_HOME unset, none under Program Files or on PATH^). 1>&2
  echo nodepulse: install a JDK 21+ ^(e.g. Temurin 25 from adoptium.net^) or set JAVA_HOME to one. 1>&2
  exit /b 1
)
set "JAVA=%JHOME%\bin\java.exe"
call :major "%JHOME%"
if defined MAJOR if !MAJOR! LSS 21 (
  echo nodepulse: %JAVA% is Java !MAJOR!; nodepulse needs 21 or newer: set JAVA_HOME to a JDK 21+. 1>&2
  exit /b 1
)

if not exist "%JAR%" (
  if not exist "%JHOME%\bin\javac.exe" (
    echo nodepulse: %JAR% is missing and %JHOME% is a JRE ^(no javac^): set JAVA_HOME to a JDK 21+ to build it. 1>&2
    exit /b 1
  )
  echo nodepulse: building %JAR% ... 1>&2
  pushd "%HERE%"
  set "JAVA_HOME=%JHOME%"
  call mvnw.cmd -B -q -DskipTests package
  set "BUILT=!ERRORLEVEL!"
  popd
  if not "!BUILT!"=="0" exit /b !BUILT!
)

set "OPTS=-XX:+UseSerialGC -Xms8m -Xmx64m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Xss512k -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=64m -XX:TieredStopAtLevel=1 -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED"
if defined MAJOR if !MAJOR! GEQ 25 set "OPTS=!OPTS! -XX:+UseCompactObjectHeaders"
"%JAVA%" %OPTS% %NODEPULSE_JAVA_OPTS% -jar "%JAR%" %*
exit /b %ERRORLEVEL%

rem the newest qualifying JDK of the Program Files folders (they list in name order: jdk-21... before jdk-25...)
:consider
call :major "%~1"
if defined MAJOR if !MAJOR! GEQ 21 set "JHOME=%~1"
exit /b 0

rem MAJOR = the feature version in <home>\release (JAVA_VERSION="25.0.1"), empty when there is none
:major
set "MAJOR="
if not exist "%~1\release" exit /b 0
for /f "tokens=2 delims==" %%v in ('findstr /b /c:"JAVA_VERSION=" "%~1\release"') do set "RV=%%~v"
if not defined RV exit /b 0
for /f "delims=." %%m in ("%RV%") do set "MAJOR=%%m"
set "RV="
exit /b 0

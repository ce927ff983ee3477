; engine-supervisor Windows installer (NSIS, built with makensis on Linux by
; scripts/build-windows.sh). Installs the exe, the example config and the docs
; under Program Files, a desktop shortcut that runs the supervised session in
; a console, and optionally a scheduled task. The uninstaller removes exactly
; what was installed: never the DB, the backups, the logs or a config the
; operator wrote.
;
; makensis -DBUILD_DIR=<folder with engine-supervisor.exe> -DSOURCE_DIR=<repo>
;          [-DENGINE_NAME=<name shown on the shortcut>]
;          [-DRESTIC_EXE=<a Windows restic.exe to offer>] installer.nsi
;
; With RESTIC_EXE (scripts/build-windows.sh passes it when
; packaging/windows/restic.exe or $ES_RESTIC_EXE exists), a component,
; checked by default, puts restic.exe beside engine-supervisor.exe, where
; the off-site copies (offsite:, docs/offsite.md) find it.

Unicode true
; A 64-bit installer: it runs where a 64-bit engine-supervisor.exe runs.
Target amd64-unicode
!ifndef ENGINE_NAME
  !define ENGINE_NAME "engine"
!endif
!ifndef VERSION
  !define VERSION "0.1.0"
!endif

Name "engine-supervisor ${VERSION}"
OutFile "${BUILD_DIR}\engine-supervisor-setup.exe"
InstallDir "$PROGRAMFILES64\engine-supervisor"
RequestExecutionLevel admin
ShowInstDetails show

Page components
Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

!define SHORTCUT "$DESKTOP\Start ${ENGINE_NAME} (supervised).lnk"

Section "engine-supervisor (required)" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${BUILD_DIR}\engine-supervisor.exe"
  File "${SOURCE_DIR}\config\engine-supervisor.example.yaml"
  File "${SOURCE_DIR}\README.md"
  SetOutPath "$INSTDIR\docs"
  File "${SOURCE_DIR}\docs\*.md"
  File "${SOURCE_DIR}\docs\session-summary.schema.json"
  SetOutPath "$INSTDIR"
  ; The operator's config starts as the example; an existing one is kept.
  IfFileExists "$INSTDIR\engine-supervisor.yaml" +2 0
    CopyFiles /SILENT "$INSTDIR\engine-supervisor.example.yaml" "$INSTDIR\engine-supervisor.yaml"
  ; A console program: the shortcut opens a console window for it.
  CreateShortCut "${SHORTCUT}" "$INSTDIR\engine-supervisor.exe" \
      'run --config "$INSTDIR\engine-supervisor.yaml"' "$INSTDIR\engine-supervisor.exe" 0
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\engine-supervisor" \
      "DisplayName" "engine-supervisor"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\engine-supervisor" \
      "UninstallString" '"$INSTDIR\uninstall.exe"'
  ; The Event Log source each run's outcome is written under
  ; (common/platform_log.hpp). EventCreate.exe's message table shows an
  ; event's text as it was written.
  WriteRegExpandStr HKLM "SYSTEM\CurrentControlSet\Services\EventLog\Application\engine-supervisor" \
      "EventMessageFile" "%SystemRoot%\System32\EventCreate.exe"
  WriteRegDWORD HKLM "SYSTEM\CurrentControlSet\Services\EventLog\Application\engine-supervisor" \
      "TypesSupported" 7
SectionEnd

Section /o "Scheduled start (Task Scheduler)" SecTask
  SetOutPath "$INSTDIR"
  File "${SOURCE_DIR}\packaging\windows\engine-supervisor-task.xml"
  ; Fill in the install folder, then register the task from the XML.
  Push "$INSTDIR\engine-supervisor-task.xml"
  Call FillInstallDir
  nsExec::ExecToLog 'schtasks /Create /TN "engine-supervisor" /XML "$INSTDIR\engine-supervisor-task.xml" /F'
  Pop $0
  DetailPrint "schtasks returned $0"
SectionEnd

!ifdef RESTIC_EXE
Section "restic.exe, for off-site copies (offsite:)" SecRestic
  SetOutPath "$INSTDIR"
  ; A restic.exe the operator put there is theirs: kept, and never removed.
  IfFileExists "$INSTDIR\restic.exe" 0 bundle
    DetailPrint "$INSTDIR\restic.exe exists: kept as it is"
    Goto restic_done
  bundle:
  File "/oname=restic.exe" "${RESTIC_EXE}"
  WriteRegDWORD HKLM "Software\engine-supervisor" "BundledRestic" 1
  restic_done:
SectionEnd
!endif

; Replaces INSTALL_DIR with $INSTDIR in the file on the stack.
Function FillInstallDir
  Exch $0
  Push $1
  Push $2
  Push $3
  FileOpen $1 "$0" r
  FileOpen $2 "$0.new" w
  loop:
    FileRead $1 $3
    StrCmp $3 "" done
    Push $3
    Push "INSTALL_DIR"
    Push "$INSTDIR"
    Call ReplaceAll
    Pop $3
    FileWrite $2 $3
    Goto loop
  done:
  FileClose $1
  FileClose $2
  Delete "$0"
  Rename "$0.new" "$0"
  Pop $3
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; ReplaceAll: (string, search, replacement) -> string
Function ReplaceAll
  Exch $R2 ; replacement
  Exch
  Exch $R1 ; search
  Exch 2
  Exch $R0 ; string
  Push $R3
  Push $R4
  Push $R5
  StrCpy $R3 ""
  StrLen $R4 $R1
  scan:
    StrCmp $R0 "" finished
    StrCpy $R5 $R0 $R4
    StrCmp $R5 $R1 0 +4
      StrCpy $R3 "$R3$R2"
      StrCpy $R0 $R0 "" $R4
      Goto scan
    StrCpy $R5 $R0 1
    StrCpy $R3 "$R3$R5"
    StrCpy $R0 $R0 "" 1
    Goto scan
  finished:
  StrCpy $R0 $R3
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Exch $R0
FunctionEnd

Section "Uninstall"
  nsExec::ExecToLog 'schtasks /Delete /TN "engine-supervisor" /F'
  Pop $0
  Delete "${SHORTCUT}"
  Delete "$INSTDIR\engine-supervisor.exe"
  Delete "$INSTDIR\engine-supervisor.example.yaml"
  Delete "$INSTDIR\engine-supervisor-task.xml"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\docs\*.md"
  Delete "$INSTDIR\docs\session-summary.schema.json"
  RMDir "$INSTDIR\docs"
  ; Only the restic.exe this installer put there.
  ReadRegDWORD $0 HKLM "Software\engine-supervisor" "BundledRestic"
  StrCmp $0 1 0 +2
    Delete "$INSTDIR\restic.exe"
  DeleteRegKey HKLM "Software\engine-supervisor"
  Delete "$INSTDIR\uninstall.exe"
  ; engine-supervisor.yaml is the operator's now, and the DB, backups and
  ; logs were never ours to remove: the folder stays if anything is left.
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\engine-supervisor"
  DeleteRegKey HKLM "SYSTEM\CurrentControlSet\Services\EventLog\Application\engine-supervisor"
SectionEnd
